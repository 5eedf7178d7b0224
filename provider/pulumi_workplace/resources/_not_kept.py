"""Attributes a server does not keep: written, then answered with another value (or none).

Some SCIM servers drop what their schema does not store, or store it differently, whatever the
schema claims. Writing such a value again every run changes nothing on the server and rewrites
every account forever. So after each write the provider compares what it sent with what the
server answered (through `scim.compare`, the same rules as `diff`) and keeps the difference in
the resource's `status.notKept`: `{key: {"sent": value, "stored": value}}`. `diff` and `update`
set such a key aside while both sides are unchanged; a new desired value or a new answer from
the server (seen by `pulumi refresh`) plans it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_workplace.resources._user_wire import to_scim_user
from pulumi_workplace.scim.compare import changed_paths

NOT_KEPT = "notKept"

NotKept = dict[str, dict[str, Any]]


def _same(key: str, sent: Any, stored: Any) -> bool:
    if sent == stored:
        return True
    return not changed_paths(to_scim_user({key: stored}), to_scim_user({key: sent}))


def not_kept(sent: Mapping[str, Any], stored: Mapping[str, Any]) -> NotKept:
    """The keys of `sent` whose value the server's answer (`stored`) does not hold."""
    return {
        key: {"sent": value, "stored": stored.get(key)}
        for key, value in sent.items()
        if value is not None and not _same(key, value, stored.get(key))
    }


def set_aside(
    recorded: Any, desired: Mapping[str, Any], state: Mapping[str, Any]
) -> frozenset[str]:
    """Keys recorded as not kept whose desired value and stored value are both unchanged."""
    if not isinstance(recorded, Mapping):
        return frozenset()
    aside = set()
    for key, entry in recorded.items():
        if not isinstance(entry, Mapping):
            continue
        if entry.get("sent") == desired.get(key) and entry.get("stored") == state.get(key):
            aside.add(key)
    return frozenset(aside)


def without(values: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """`values` without `keys`."""
    skip = set(keys)
    return {k: v for k, v in values.items() if k not in skip}


def describe(entries: Mapping[str, Mapping[str, Any]]) -> str:
    """`workEmail (stored nothing), title (stored another value)`: keys only, never values
    (they can be personal data)."""
    return ", ".join(
        f"{key} (stored {'nothing' if entry.get('stored') is None else 'another value'})"
        for key, entry in sorted(entries.items())
    )
