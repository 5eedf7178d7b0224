"""Target profiles: what kind of SCIM 2.0 server a stack talks to (`workplace:profile`).

A profile is one row of defaults: which schemas the default mappings may write, how the
manager is written, whether updates are PATCH or PUT, which attributes the server filters on
and whether it serves the discovery endpoints. Every default can still be overridden in config
(`workplace:mappings`, `workplace:managerShape`, `workplace:updateMethod`); docs/targets.md
describes each profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pulumi_workplace.attributes import (
    ACCOUNT_STATUS,
    AUTH_METHOD,
    CORE,
    ENTERPRISE,
    FRONTLINE,
    START_TERM_DATES,
)

__all__ = ["PROFILES", "ManagerShape", "Profile", "ProfileName", "UpdateMethod", "profile_named"]

ProfileName = Literal["workplace", "work-accounts", "generic"]
ManagerShape = Literal["managerId", "value"]
UpdateMethod = Literal["patch", "put", "auto"]
"""`auto`: PATCH unless the server's ServiceProviderConfig says it is unsupported."""


@dataclass(frozen=True)
class Profile:
    """The defaults of one kind of target."""

    name: ProfileName
    schemas: frozenset[str]
    """Schema URNs the default mappings may write; a default mapping elsewhere is left out."""
    manager_shape: ManagerShape
    update_method: UpdateMethod
    filterable: frozenset[str]
    """Attributes the server can filter on: the default mappings match on these only."""
    discovery: bool
    """Whether the server serves /ServiceProviderConfig, /Schemas and /ResourceTypes."""
    summary: str


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile(
            name="workplace",
            schemas=frozenset(
                {CORE, ENTERPRISE, START_TERM_DATES, ACCOUNT_STATUS, AUTH_METHOD, FRONTLINE}
            ),
            manager_shape="managerId",
            update_method="auto",
            filterable=frozenset({"userName", "externalId"}),
            discovery=True,
            summary="Workplace from Meta: Facebook extensions, manager.managerId, PATCH",
        ),
        Profile(
            name="work-accounts",
            schemas=frozenset({CORE, ENTERPRISE, START_TERM_DATES, ACCOUNT_STATUS, AUTH_METHOD}),
            manager_shape="value",
            update_method="patch",
            filterable=frozenset({"userName"}),
            discovery=False,
            summary="Meta Work Accounts: /Users only, userName filters, RFC 7643 manager",
        ),
        Profile(
            name="generic",
            schemas=frozenset({CORE, ENTERPRISE}),
            manager_shape="value",
            update_method="auto",
            filterable=frozenset({"userName", "externalId"}),
            discovery=True,
            summary="Plain RFC 7643/7644: core and enterprise schemas, PATCH if advertised",
        ),
    )
}


def profile_named(name: str) -> Profile:
    """The profile called `name`; ValueError naming the choices otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}") from None
