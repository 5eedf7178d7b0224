"""Which SCIM endpoint a path names, for the stats and for scim2-server."""

from __future__ import annotations

from collections.abc import Mapping, Set

_DISCOVERY_ROOTS = frozenset(
    {"ServiceProviderConfig", "ServiceProviderConfigs", "Schemas", "ResourceTypes"}
)


def _kind(segments: list[str]) -> str:
    match segments:
        case ["Users"]:
            return "users"
        case ["Groups"]:
            return "groups"
        case [".search"] | ["Users" | "Groups", ".search"]:
            return "search"
        case ["Users", _]:
            return "user"
        case ["Groups", _]:
            return "group"
        case [root] | [root, _] if root in _DISCOVERY_ROOTS:
            return "discovery"
    return "other"


def classify(path: str, served: Set[str]) -> str:
    """Return the kind of a SCIM path: users (/Users), user (/Users/{id}), discovery, groups
    (/Groups), group (/Groups/{id}), search (POST .search), or other when the host does not
    serve that kind (`served`, the profile's endpoints)."""
    kind = _kind([segment for segment in path.split("/") if segment])
    return kind if kind in served else "other"


def scim_path(path: str, aliases: Mapping[str, str]) -> str:
    """Return the path scim2-server serves for a path of the host (`aliases`: the profile's)."""
    return aliases.get(path.rstrip("/"), path)


def user_id(path: str) -> str:
    """Return the id of a /Users/{id} path."""
    return path.strip("/").split("/")[1]
