"""Which SCIM endpoint a path names, for the stats and for scim2-server."""

from __future__ import annotations

from pulumi_workplace.attributes import CORE

# Paths Workplace answers that scim2-server spells differently.
_ALIASES = {
    "/ServiceProviderConfigs": "/ServiceProviderConfig",
    "/Schemas/Users": f"/Schemas/{CORE}",
}
_DISCOVERY_ROOTS = frozenset(
    {"ServiceProviderConfig", "ServiceProviderConfigs", "Schemas", "ResourceTypes"}
)


def classify(path: str) -> str:
    """Return the kind of a SCIM path: users (/Users), user (/Users/{id}), discovery or other."""
    segments = [segment for segment in path.split("/") if segment]
    if segments == ["Users"]:
        return "users"
    if len(segments) == 2 and segments[0] == "Users" and segments[1] != ".search":
        return "user"
    if segments and segments[0] in _DISCOVERY_ROOTS and len(segments) <= 2:
        return "discovery"
    return "other"


def scim_path(path: str) -> str:
    """Return the path scim2-server serves for a Workplace path."""
    return _ALIASES.get(path.rstrip("/"), path)


def user_id(path: str) -> str:
    """Return the id of a /Users/{id} path."""
    return path.strip("/").split("/")[1]
