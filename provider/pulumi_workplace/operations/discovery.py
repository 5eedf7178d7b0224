"""The program's look at the target before it plans: what the SCIM server says it can store.

Read once per `pulumi preview` / `up` by the root program, after the input is checked (so bad
input still fails with no request) and before the mappings are fixed: three GETs at most
(/ServiceProviderConfig or /ServiceProviderConfigs, /Schemas, /ResourceTypes). A profile
without discovery (`work-accounts`) makes none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pulumi_workplace.profiles import PROFILES
from pulumi_workplace.scim import ScimError, ServerCapabilities
from pulumi_workplace.scim.errors import token_masker
from pulumi_workplace.settings import SettingsError, WorkplaceSettings, connection_from

__all__ = ["TargetDiscovery", "discover_target"]

# A preview should not wait long for optional endpoints: a short budget, few attempts.
_ATTEMPTS = 3
_DEADLINE = 20.0


@dataclass(frozen=True)
class TargetDiscovery:
    """What discovery found, and the lines the preview shows about it."""

    capabilities: ServerCapabilities
    notes: tuple[str, ...] = ()
    warning: str | None = None


def discover_target(
    settings: WorkplaceSettings, environ: Mapping[str, str] | None = None
) -> TargetDiscovery:
    """Ask the target what it stores; never raises for an unreachable or silent server.

    Without a token, or when discovery fails, the capabilities are empty (nothing is known
    to be lacking) and `warning` says why; the provider reports a real connection problem when
    it first needs the connection.
    """
    profile = PROFILES[settings.profile]
    if not profile.discovery:
        return TargetDiscovery(
            ServerCapabilities(),
            (f"profile {profile.name}: the server has no discovery endpoints; none were read",),
        )
    try:
        connection = connection_from(settings)
    except SettingsError:
        return TargetDiscovery(
            ServerCapabilities(), warning="no token: the server's schema was not read"
        )
    token = connection.token.get_secret_value()
    try:
        with connection.client(
            retry_deadline=min(connection.retry_deadline, _DEADLINE), max_attempts=_ATTEMPTS
        ) as client:
            capabilities = client.discover()
    except (ScimError, ValueError) as error:
        detail = token_masker((token,)).text(str(error))
        return TargetDiscovery(
            ServerCapabilities(), warning=f"the server's schema could not be read: {detail}"
        )
    notes = []
    if not capabilities.served:
        notes.append("the server serves no discovery endpoint; its schema is not checked")
    if capabilities.supports_patch is False and connection.update_method == "auto":
        notes.append(
            "the server's ServiceProviderConfig says PATCH is not supported: updates are sent "
            "as PUT (workplace:updateMethod)"
        )
    return TargetDiscovery(capabilities, tuple(notes))
