"""The property layout of `User` as the engine stores it, and the flat view the provider uses.

A `User` registers three properties, not one per attribute:

- `attributes`: catalogue key -> value (`{"department": "Sales", "workEmail": ...}`); as an input
  the desired values, as an output what Workplace stored for the managed keys;
- `options`: `matchOn`, `deprovision`, `clear`, `createOnly`, `stack` and, for a manager in
  another shard, `managerUserName`;
- `status` (output only): `claimed`, `adopted`, `managed` (the keys this resource manages),
  `notKept` and `managerPending` (a manager in another shard with no account yet).

Every top-level property costs the Python SDK an `Output` with its futures and task, and the
engine a dependency entry and a diff pass; one nested dict costs neither per key. With ~17
top-level properties a no-op preview of 3,000 accounts took 1.46x as long as with one dict,
before any Workplace work (docs/performance.md). Previews show the changed keys inside
`attributes` with `pulumi preview --diff`.

Inside the provider the three are merged into one flat dict (`flatten`) so that validation,
diff and the provisioning log read `props["department"]`; `nest` turns it back. States written
in the earlier flat layout (every key at the top level) are read as they are, and the next
`up` rewrites them (an update without a request to Workplace).

The two lists of catalogue keys, `options.clear` (keys to empty: most people have a dozen
mapped attributes without a value) and `status.managed`, are stored as one comma-separated
string each (`pack_keys`): every list element is another `Output` in the program and another
value for the engine to diff, and these two made up half of a `User`'s values. `flatten` turns
them back into lists (and reads the lists of states written before).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_workplace.attributes import BY_KEY

ATTRIBUTES = "attributes"
OPTIONS = "options"
STATUS = "status"
OPTION_KEYS = (
    "matchOn",
    "deprovision",
    "clear",
    "createOnly",
    "stack",
    "managerUserName",
    "accountId",
)
STATUS_KEYS = ("claimed", "adopted", "managed", "notKept", "managerPending")
KEY_LISTS = ("clear", "managed")
"""Lists of catalogue keys, stored packed (see the module docstring)."""


def pack_keys(keys: Any) -> Any:
    """A list of catalogue keys as one string (`"a,b"`; `""` for none); other values as given
    (an unknown value during a preview)."""
    if isinstance(keys, (list, tuple)):
        return ",".join(str(key) for key in keys)
    return keys


def unpack_keys(value: Any) -> Any:
    """The list of a packed string (or a list from an earlier state, as it is)."""
    if isinstance(value, str):
        return [key for key in value.split(",") if key]
    return value


def is_nested(props: Mapping[str, Any]) -> bool:
    """True when `props` uses the three-property layout (False for the earlier flat one)."""
    return isinstance(props.get(ATTRIBUTES), dict) or isinstance(props.get(OPTIONS), dict)


def flatten(props: Mapping[str, Any]) -> dict[str, Any]:
    """One flat dict: attribute, option and status keys, plus the engine's `__` keys."""
    if not is_nested(props):
        return dict(props)  # the earlier flat layout, or only engine keys
    flat: dict[str, Any] = {k: v for k, v in props.items() if k.startswith("__")}
    for group in (ATTRIBUTES, OPTIONS, STATUS):
        value = props.get(group)
        if isinstance(value, dict):
            flat.update(value)
    # Top-level keys that are neither group nor engine key (a typo in a hand-built dict) are
    # kept so that `check` can name them.
    flat.update(
        {
            k: v
            for k, v in props.items()
            if k not in (ATTRIBUTES, OPTIONS, STATUS) and not k.startswith("__")
        }
    )
    for key in KEY_LISTS:
        if key in flat:
            flat[key] = unpack_keys(flat[key])
    return flat


def nest(flat: Mapping[str, Any], *, with_status: bool = True) -> dict[str, Any]:
    """The engine layout of a flat dict; unknown keys stay at the top level."""
    props: dict[str, Any] = {ATTRIBUTES: {}, OPTIONS: {}}
    if with_status:
        props[STATUS] = {}
    for key, value in flat.items():
        if key in BY_KEY:
            props[ATTRIBUTES][key] = value
        elif key in OPTION_KEYS:
            props[OPTIONS][key] = pack_keys(value) if key in KEY_LISTS else value
        elif key in STATUS_KEYS:
            if with_status:
                props[STATUS][key] = pack_keys(value) if key in KEY_LISTS else value
        else:
            props[key] = value
    return props
