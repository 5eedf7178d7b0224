"""The one place that decides whether two users differ.

Both the Pulumi diff and PATCH building go through `changed_paths`, so a preview and the
request it announces can never disagree.
"""

from __future__ import annotations

import json
from typing import Any

from pulumi_workplace.scim.models import MULTI_VALUED_PATHS, USER_PATHS, Manager, ScimUser

__all__ = ["changed_paths", "normalise"]

# Sub-attributes compared per multi-valued attribute; `display` and unknown keys are left out
# because servers fill them in themselves.
_ITEM_KEYS: dict[str, tuple[str, ...]] = {
    "emails": ("value", "type", "primary"),
    "phoneNumbers": ("value", "type", "primary"),
    "photos": ("value", "type", "primary"),
    "addresses": (
        "type",
        "primary",
        "formatted",
        "streetAddress",
        "locality",
        "region",
        "postalCode",
        "country",
    ),
}
# Values compared case-insensitively: userName and e-mail addresses are case-insensitive
# identifiers, and `type` canonical values are not case-exact in RFC 7643.
_CASELESS_ITEM_KEYS: dict[str, frozenset[str]] = {
    "emails": frozenset({"value", "type"}),
    "phoneNumbers": frozenset({"type"}),
    "photos": frozenset({"type"}),
    "addresses": frozenset({"type"}),
}


def _item(path: str, wire: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _ITEM_KEYS[path]:
        value = wire.get(key)
        if value is None or value == "":
            continue
        # primary=false says no more than an absent primary, and servers add it freely.
        if key == "primary" and value is False:
            continue
        if key in _CASELESS_ITEM_KEYS[path] and isinstance(value, str):
            value = value.lower()
        out[key] = value
    return out


def _sort_key(item: dict[str, Any]) -> tuple[str, str, str]:
    return (
        str(item.get("type", "")),
        str(item.get("value", "")),
        json.dumps(item, sort_keys=True, ensure_ascii=False),
    )


def _normalised(path: str, value: Any) -> Any:
    """The comparable form of one attribute value, or None when it counts as absent."""
    if value is None:
        return None
    if path in MULTI_VALUED_PATHS:
        items = [_item(path, entry.wire()) for entry in value]
        items = [entry for entry in items if entry]
        return sorted(items, key=_sort_key) if items else None
    if isinstance(value, Manager):
        return value.value or None
    if isinstance(value, str):
        if value == "":
            return None
        return value.lower() if path == "userName" else value
    return value


def normalise(user: ScimUser) -> dict[str, Any]:
    """The comparable state of a user: SCIM attribute path -> normalised value.

    Only writable attributes appear; absent, empty-string and empty-list values are dropped;
    userName and e-mail values are lower-cased; multi-valued attributes are sorted by
    (type, value); booleans and integers are kept exactly.
    """
    state: dict[str, Any] = {}
    for path in USER_PATHS:
        value = _normalised(path, user.get_path(path))
        if value is not None:
            state[path] = value
    return state


def changed_paths(before: ScimUser, after: ScimUser) -> list[str]:
    """Sorted attribute paths where `after` (the desired state) differs from `before`.

    An attribute absent from `after` is not managed and never reported, unless `after.clear`
    lists it, in which case it is reported while `before` still has a value.
    """
    old = normalise(before)
    new = normalise(after)
    changed = []
    for path in USER_PATHS:
        if path in after.clear:
            if path in old:
                changed.append(path)
        elif path in new and _differs(new[path], old.get(path)):
            changed.append(path)
    return sorted(changed)


def _differs(new: Any, old: Any) -> bool:
    # Compare types too: True == 1 in Python, but not on the wire.
    return type(new) is not type(old) or bool(new != old)
