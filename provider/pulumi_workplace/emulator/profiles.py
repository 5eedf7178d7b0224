"""The kinds of SCIM host the emulator plays: Workplace, Meta Work Accounts or a generic one.

`PROFILES` is the one place that says what each host serves and which of Meta's own rules it
follows; `EmulatorConfig.profile` picks a row. A few of its fields are only the defaults of the
`EmulatorConfig` fields of the same name (`CONFIG_DEFAULTS`): a value given explicitly wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from scim2_models import Extension

from pulumi_workplace.attributes import CORE, ENTERPRISE
from pulumi_workplace.emulator import rfc, schema

ProfileName = Literal["workplace", "work-accounts", "generic"]
ManagerShape = Literal["both", "managerId", "value"]

USER_ENDPOINTS = frozenset({"users", "user", "discovery"})
"""The endpoint kinds (see routes.classify) of a host serving users only."""
RFC_ENDPOINTS = USER_ENDPOINTS | {"groups", "group", "search"}
"""Also /Groups, /Groups/{id} and the POST .search endpoints."""

_WORKPLACE_PATHS: Mapping[str, str] = MappingProxyType(
    {
        # Meta's 2.0 Postman collection uses the 1.1-style plural path.
        "/ServiceProviderConfigs": "/ServiceProviderConfig",
        "/Schemas/Users": f"/Schemas/{CORE}",
    }
)

CONFIG_DEFAULTS = ("discovery", "manager_shape", "reject_v1_urns")
"""The `Profile` fields that are only defaults of the `EmulatorConfig` fields of that name."""


@dataclass(frozen=True)
class Profile:
    """What one kind of SCIM host serves and which rules it applies."""

    name: ProfileName
    summary: str
    user_extensions: tuple[type[Extension], ...]
    """The User schema extensions, in the order /Schemas lists them."""
    endpoints: frozenset[str]
    """The endpoint kinds served; every other path answers 404."""
    path_aliases: Mapping[str, str]
    """Paths the host answers that scim2-server spells differently."""
    filterable: tuple[str, ...] | None
    """Attributes a filter may compare with `eq` (the only filter then); None: any filter."""
    meta_rules: bool
    """Meta's own rules: a User-Agent is required, a manager must be an existing user, and
    (with the account status extension) invitations, access codes, claims and the refusal to
    delete a claimed account."""
    legacy_urns: bool
    """SCIM 1.0 extension URNs are read (translated to 2.0, or refused with reject_v1_urns)."""
    references: bool
    """Resources hold references to other resources (group members, an RFC `manager.$ref`)
    that responses must give as URLs."""
    discovery: bool
    """Default of `EmulatorConfig.discovery`: whether the discovery endpoints answer."""
    manager_shape: ManagerShape
    """Default of `EmulatorConfig.manager_shape`."""
    reject_v1_urns: bool
    """Default of `EmulatorConfig.reject_v1_urns`."""

    @property
    def groups(self) -> bool:
        """Whether /Groups is served."""
        return "groups" in self.endpoints

    @property
    def enterprise(self) -> type[Extension]:
        """The enterprise User extension of this host (its manager shape differs)."""
        return next(ext for ext in self.user_extensions if ext.__schema__ == ENTERPRISE)

    @property
    def account_status(self) -> bool:
        """Whether users carry Workplace's invitation and claim state."""
        return schema.AccountStatusDetails in self.user_extensions

    def config_defaults(self) -> dict[str, Any]:
        """Return the `EmulatorConfig` defaults this profile sets."""
        return {name: getattr(self, name) for name in CONFIG_DEFAULTS}


PROFILES: Mapping[str, Profile] = MappingProxyType(
    {
        profile.name: profile
        for profile in (
            Profile(
                name="workplace",
                summary="Workplace from Meta: Facebook extensions (the frontline one under its "
                "1.0 URN), plural discovery paths, both manager shapes, 1.0 URNs translated",
                user_extensions=schema.EXTENSIONS,
                endpoints=USER_ENDPOINTS,
                path_aliases=_WORKPLACE_PATHS,
                filterable=None,
                meta_rules=True,
                legacy_urns=True,
                references=False,
                discovery=True,
                manager_shape="both",
                reject_v1_urns=False,
            ),
            Profile(
                name="work-accounts",
                summary="Meta Work Accounts: /Users only (no Groups, no discovery), filters on "
                "userName only, manager.value, the 2.0 Facebook extensions, 1.0 URNs refused",
                user_extensions=tuple(
                    ext for ext in schema.EXTENSIONS if ext is not schema.Frontline
                ),
                endpoints=USER_ENDPOINTS,
                path_aliases=_WORKPLACE_PATHS,
                filterable=("userName",),
                meta_rules=True,
                legacy_urns=True,
                references=False,
                discovery=False,
                manager_shape="value",
                reject_v1_urns=True,
            ),
            Profile(
                name="generic",
                summary="Plain RFC 7643/7644: core User with the enterprise extension, Groups, "
                "singular discovery paths, none of Meta's rules",
                user_extensions=(rfc.EnterpriseUser,),
                endpoints=RFC_ENDPOINTS,
                path_aliases=MappingProxyType({}),
                filterable=None,
                meta_rules=False,
                legacy_urns=False,
                references=True,
                discovery=True,
                manager_shape="value",
                reject_v1_urns=False,
            ),
        )
    }
)
