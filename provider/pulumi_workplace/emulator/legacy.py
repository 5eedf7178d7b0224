"""Rewrite the SCIM 1.0 schema URNs Workplace tolerated into their 2.0 form."""

from __future__ import annotations

from typing import Any

from scim2_models import InvalidValueException

from pulumi_workplace.attributes import (
    ACCOUNT_STATUS,
    ACCOUNT_STATUS_V1,
    AUTH_METHOD,
    AUTH_METHOD_V1,
    CORE,
    CORE_V1,
    ENTERPRISE,
    ENTERPRISE_V1,
    START_TERM_DATES,
    START_TERM_DATES_V1,
)

# 1.0 extension URN -> (2.0 URN, renamed attributes). Frontline has no 2.0 URN: not listed.
_EXTENSIONS: dict[str, tuple[str, dict[str, str]]] = {
    ENTERPRISE_V1: (ENTERPRISE, {}),
    START_TERM_DATES_V1: (START_TERM_DATES, {}),
    ACCOUNT_STATUS_V1: (ACCOUNT_STATUS, {}),
    AUTH_METHOD_V1: (AUTH_METHOD, {"auth_method": "authMethod"}),
}
# In `schemas`, the 1.0 core URN may appear too.
_SCHEMAS = {
    CORE_V1: CORE,
    **{urn: target for urn, (target, _) in _EXTENSIONS.items()},
}


def _refuse(urn: str) -> InvalidValueException:
    return InvalidValueException(detail=f"SCIM 1.0 schema URN {urn!r} is not accepted; use 2.0")


def _renamed(value: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    return {renames.get(name, name): item for name, item in value.items()}


def translate_resource(body: Any, *, reject: bool) -> Any:
    """Return a User body with 1.0 extension objects and `schemas` entries in 2.0 form.

    When a body carries an extension under both URNs, the 2.0 values win.
    """
    if not isinstance(body, dict):
        return body
    result: dict[str, Any] = {}
    moved: dict[str, dict[str, Any]] = {}
    for key, value in body.items():
        urn = key.lower()
        if urn in _EXTENSIONS:
            if reject:
                raise _refuse(key)
            target, renames = _EXTENSIONS[urn]
            if isinstance(value, dict):
                moved[target] = _renamed(value, renames)
        elif key == "schemas" and isinstance(value, list):
            result[key] = _translate_schemas(value, reject=reject)
        else:
            result[key] = value
    for target, values in moved.items():
        current = result.get(target)
        result[target] = {**values, **current} if isinstance(current, dict) else values
    return result


def _translate_schemas(schemas: list[Any], *, reject: bool) -> list[Any]:
    translated: list[Any] = []
    for entry in schemas:
        target = _SCHEMAS.get(entry.lower()) if isinstance(entry, str) else None
        if target is not None and reject:
            raise _refuse(entry)
        value = target or entry
        if value not in translated:
            translated.append(value)
    return translated


def translate_path(path: str, *, reject: bool) -> str:
    """Return a PATCH path whose leading 1.0 extension URN is in 2.0 form.

    Both `urn:...:1.0:attribute` and Entra's `urn:...:1.0.attribute` spellings are read.
    """
    lowered = path.lower()
    for urn, (target, renames) in _EXTENSIONS.items():
        if lowered == urn:
            rest = ""
        elif lowered.startswith(urn) and lowered[len(urn)] in ":.":
            rest = path[len(urn) + 1 :]
        else:
            continue
        if reject:
            raise _refuse(path[: len(urn)])
        if not rest:
            return target
        head, dot, tail = rest.partition(".")
        return f"{target}:{renames.get(head, head)}{dot}{tail}"
    return path


def translate_patch(body: Any, *, reject: bool) -> Any:
    """Return a PatchOp body whose paths and values use 2.0 URNs."""
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        return body
    operations: list[Any] = []
    for operation in body["Operations"]:
        if isinstance(operation, dict):
            operation = _translate_operation(operation, reject=reject)
        operations.append(operation)
    return {**body, "Operations": operations}


def _translate_operation(operation: dict[str, Any], *, reject: bool) -> dict[str, Any]:
    result = dict(operation)
    path = result.get("path")
    if isinstance(path, str):
        path = result["path"] = translate_path(path, reject=reject)
    value = result.get("value")
    if isinstance(value, dict):
        if not path:
            # A value object without path is a partial User body.
            result["value"] = translate_resource(value, reject=reject)
        elif path == AUTH_METHOD:
            result["value"] = _renamed(value, {"auth_method": "authMethod"})
    return result
