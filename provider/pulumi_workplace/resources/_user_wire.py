"""Conversion between `User` properties (catalogue keys) and the SCIM wire model.

`User` inputs and outputs are flat dicts keyed by `pulumi_workplace.attributes` keys
(`department`, `workEmail`, ...). The SCIM client works on `ScimUser`. Multi-valued attributes
are owned as a whole: the provider writes the `work` email, the work/mobile/fax phone numbers and
the work/other addresses it manages, and an entry of another type is not kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_workplace.attributes import ATTRIBUTES, BY_KEY
from pulumi_workplace.scim.models import Address, Email, Manager, PhoneNumber, ScimUser

_PHONE_TYPES = {"workPhone": "work", "mobilePhone": "mobile", "fax": "fax"}
_WORK_ADDRESS_PARTS = {
    "workAddressFormatted": "formatted",
    "streetAddress": "street_address",
    "locality": "locality",
    "region": "region",
    "postalCode": "postal_code",
    "country": "country",
}
_MULTI_VALUED_KEYS = {"workEmail", *_PHONE_TYPES, *_WORK_ADDRESS_PARTS, "otherAddressFormatted"}

# Catalogue key -> the client's path for keys that map one-to-one onto a model attribute.
_SIMPLE_PATHS = {
    a.key: a.scim_path for a in ATTRIBUTES if a.key not in _MULTI_VALUED_KEYS | {"managerId"}
}

MANAGED_KEYS: frozenset[str] = frozenset(BY_KEY)


def _multi_path(key: str) -> str:
    if key == "workEmail":
        return "emails"
    if key in _PHONE_TYPES:
        return "phoneNumbers"
    return "addresses"


def clear_paths(keys: Iterable[str]) -> frozenset[str]:
    """The SCIM paths a set of cleared catalogue keys touches."""
    paths = set()
    for key in keys:
        if key in _SIMPLE_PATHS:
            paths.add(_SIMPLE_PATHS[key])
        elif key == "managerId":
            paths.add(BY_KEY["managerId"].scim_path)
        elif key in _MULTI_VALUED_KEYS:
            paths.add(_multi_path(key))
    return frozenset(paths)


def _typed(key: str, value: Any) -> Any:
    # The engine carries every number as a float; integer attributes go on the wire as ints.
    if BY_KEY[key].type == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def to_scim_user(values: Mapping[str, Any], clear: Iterable[str] = ()) -> ScimUser:
    """Build the desired `ScimUser` from catalogue-keyed values; `clear` lists keys to empty."""
    cleared = set(clear)
    values = {k: _typed(k, v) for k, v in values.items() if k in BY_KEY}
    user = ScimUser()
    for key, path in _SIMPLE_PATHS.items():
        if values.get(key) is not None:
            user = user.with_path(path, values[key])
    if values.get("managerId") is not None:
        user = user.with_path(
            BY_KEY["managerId"].scim_path, Manager(value=str(values["managerId"]))
        )

    if values.get("workEmail") is not None:
        user = user.with_path(
            "emails", [Email(value=values["workEmail"], type="work", primary=True)]
        )
    phones = [
        PhoneNumber(value=values[key], type=kind)
        for key, kind in _PHONE_TYPES.items()
        if values.get(key) is not None
    ]
    if phones:
        user = user.with_path("phoneNumbers", phones)
    addresses = []
    work_parts = {
        field: values[key]
        for key, field in _WORK_ADDRESS_PARTS.items()
        if values.get(key) is not None
    }
    if work_parts:
        addresses.append(Address(type="work", primary=True, **work_parts))
    if values.get("otherAddressFormatted") is not None:
        addresses.append(Address(type="other", formatted=values["otherAddressFormatted"]))
    if addresses:
        user = user.with_path("addresses", addresses)

    # A cleared multi-valued key only empties its whole attribute when nothing else is managed
    # in it; otherwise writing the remaining entries already drops the cleared one.
    paths = {p for p in clear_paths(cleared) if user.get_path(p) is None}
    if paths:
        user = user.model_copy(update={"clear": frozenset(paths)})
    return user


def _of_type(items: Iterable[Any] | None, kind: str) -> Any:
    for item in items or ():
        if (getattr(item, "type", None) or "").lower() == kind:
            return item
    return None


def _untyped_work_email(emails: Iterable[Any] | None) -> Any:
    """An e-mail without `type` that stands for the work one: the primary one, or the only one.

    Servers that do not store `emails[].type` (RFC 7643 makes it optional) answer the work
    e-mail written as `{"value": ...}`.
    """
    untyped = [e for e in emails or () if not getattr(e, "type", None)]
    primary = [e for e in untyped if getattr(e, "primary", None)]
    if primary:
        return primary[0]
    return untyped[0] if len(untyped) == 1 and len(list(emails or ())) == 1 else None


def observed_values(user: ScimUser, keys: Iterable[str] = MANAGED_KEYS) -> dict[str, Any]:
    """Project a stored `ScimUser` onto catalogue keys (None where Workplace has no value)."""
    out: dict[str, Any] = {}
    for key in keys:
        if key in _SIMPLE_PATHS:
            out[key] = user.get_path(_SIMPLE_PATHS[key])
        elif key == "managerId":
            manager = user.get_path(BY_KEY["managerId"].scim_path)
            out[key] = getattr(manager, "value", None)
        elif key == "workEmail":
            email = _of_type(user.emails, "work") or _untyped_work_email(user.emails)
            out[key] = email.value if email else None
        elif key in _PHONE_TYPES:
            phone = _of_type(user.phone_numbers, _PHONE_TYPES[key])
            out[key] = phone.value if phone else None
        elif key in _WORK_ADDRESS_PARTS:
            address = _of_type(user.addresses, "work")
            out[key] = getattr(address, _WORK_ADDRESS_PARTS[key]) if address else None
        elif key == "otherAddressFormatted":
            address = _of_type(user.addresses, "other")
            out[key] = address.formatted if address else None
    return out
