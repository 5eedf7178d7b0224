"""Rewrite the SCIM 1.0 schema URNs Workplace tolerated into their 2.0 form."""

from __future__ import annotations

from typing import Any

from scim2_models import InvalidValueException

from pulumi_workplace.emulator.schema import (
    ACCOUNT_STATUS,
    AUTH_METHOD,
    CORE_USER,
    ENTERPRISE,
    START_TERM_DATES,
)

# 1.0 URN -> (2.0 URN, renamed attributes). Frontline has no 2.0 URN, so it is not listed.
_V1_URNS: dict[str, tuple[str, dict[str, str]]] = {
    "urn:scim:schemas:core:1.0": (CORE_USER, {}),
    "urn:scim:schemas:extension:enterprise:1.0": (ENTERPRISE, {}),
    "urn:scim:schemas:extension:facebook:starttermdates:1.0": (START_TERM_DATES, {}),
    "urn:scim:schemas:extension:facebook:accountstatusdetails:1.0": (ACCOUNT_STATUS, {}),
    "urn:scim:schemas:extension:facebook:auth_method:1.0": (
        AUTH_METHOD,
        {"auth_method": "authMethod"},
    ),
}
_V1_BY_LOWER = {urn.lower(): urn for urn in _V1_URNS}


def _v1_urn_of(text: str) -> str | None:
    """Return the 1.0 URN `text` is or starts with (followed by ':' or '.'), if any."""
    lowered = text.lower()
    for lower, urn in _V1_BY_LOWER.items():
        if lowered == lower or (lowered.startswith(lower) and lowered[len(lower)] in ":."):
            return urn
    return None


def _refuse(urn: str) -> InvalidValueException:
    return InvalidValueException(detail=f"SCIM 1.0 schema URN {urn!r} is not accepted; use 2.0")


def translate_resource(body: Any, *, reject: bool) -> Any:
    """Return a User body with its 1.0 extension keys and `schemas` entries in 2.0 form.

    A 2.0 key present next to its 1.0 twin wins attribute by attribute.
    """
    if not isinstance(body, dict):
        return body
    result: dict[str, Any] = {}
    moved: dict[str, dict[str, Any]] = {}
    for key, value in body.items():
        urn = _V1_BY_LOWER.get(key.lower())
        if urn is None:
            continue
        if reject:
            raise _refuse(urn)
        target, renames = _V1_URNS[urn]
        if target == CORE_USER or not isinstance(value, dict):
            continue
        entries = moved.setdefault(target, {})
        entries.update({renames.get(name, name): item for name, item in value.items()})
    for key, value in body.items():
        urn = _V1_BY_LOWER.get(key.lower())
        if urn is not None:
            if _V1_URNS[urn][0] == CORE_USER and isinstance(value, dict):
                # A 1.0 core container holds plain core attributes.
                result.update({k: v for k, v in value.items() if k not in result})
            continue
        if key == "schemas" and isinstance(value, list):
            result[key] = _translate_schemas(value, reject=reject)
        elif key in moved and isinstance(value, dict):
            result[key] = {**moved.pop(key), **value}
        else:
            result[key] = value
    result.update(moved)
    return result


def _translate_schemas(schemas: list[Any], *, reject: bool) -> list[Any]:
    translated: list[Any] = []
    for entry in schemas:
        urn = _V1_BY_LOWER.get(entry.lower()) if isinstance(entry, str) else None
        if urn is not None and reject:
            raise _refuse(urn)
        value = _V1_URNS[urn][0] if urn is not None else entry
        if value not in translated:
            translated.append(value)
    return translated


def translate_path(path: str, *, reject: bool) -> str:
    """Return a PATCH path with a leading 1.0 URN in 2.0 form.

    Both `urn:...:1.0:attr` and Entra's `urn:...:1.0.attr` spellings are read.
    """
    urn = _v1_urn_of(path)
    if urn is None:
        return path
    if reject:
        raise _refuse(urn)
    target, renames = _V1_URNS[urn]
    rest = path[len(urn) + 1 :]
    if not rest:
        return target
    head, dot, tail = rest.partition(".")
    head = renames.get(head, head)
    if target == CORE_USER:
        return f"{head}{dot}{tail}"
    return f"{target}:{head}{dot}{tail}"


def translate_patch(body: Any, *, reject: bool) -> Any:
    """Return a PatchOp body whose paths and values use 2.0 URNs."""
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        return body
    operations: list[Any] = []
    for operation in body["Operations"]:
        if not isinstance(operation, dict):
            operations.append(operation)
            continue
        operation = dict(operation)
        path = operation.get("path")
        if isinstance(path, str):
            path = translate_path(path, reject=reject)
            operation["path"] = path
        value = operation.get("value")
        if isinstance(value, dict):
            if not path:
                operation["value"] = translate_resource(value, reject=reject)
            elif path == AUTH_METHOD and "auth_method" in value:
                operation["value"] = {
                    ("authMethod" if k == "auth_method" else k): v for k, v in value.items()
                }
        operations.append(operation)
    return {**body, "Operations": operations}
