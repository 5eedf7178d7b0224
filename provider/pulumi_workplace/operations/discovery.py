"""The program's look at the target before it plans: what the SCIM server says it can store,
and (for `workplace:unmanagedAccounts` and `pulumi-workplace discover`) every account it holds.

Read once per `pulumi preview` / `up` by the root program, after the input is checked (so bad
input still fails with no request) and before the mappings are fixed: three GETs at most
(/ServiceProviderConfig or /ServiceProviderConfigs, /Schemas, /ResourceTypes). A profile
without discovery (`work-accounts`) makes none.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent import futures
from dataclasses import dataclass

from pulumi_workplace.profiles import PROFILES
from pulumi_workplace.scim import ScimError, ScimUser, ServerCapabilities
from pulumi_workplace.scim.errors import token_masker
from pulumi_workplace.settings import SettingsError, WorkplaceSettings, connection_from

__all__ = [
    "LISTING_PAGE_SIZE",
    "AccountListingError",
    "TargetDiscovery",
    "discover_target",
    "list_accounts",
]

LISTING_PAGE_SIZE = 100
"""The least `count` a whole-tenant listing asks for: at most N/100 + 1 pages of N accounts."""


_SPLIT_ABOVE = 2_000
"""Tenants above this size are listed as two halves in parallel."""


class AccountListingError(ScimError):
    """The tenant could not be listed (the message is masked: it never holds the token)."""


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


def list_accounts(
    settings: WorkplaceSettings, environ: Mapping[str, str] | None = None
) -> list[ScimUser]:
    """Every account in the tenant, listed once at `workplace:pageSize` (at least 100).

    After the first page, a large tenant is read as two halves at once, so the server prepares
    one page while this process reads the other: the same requests as one page after the other.
    Raises `SettingsError` without a token and `AccountListingError` when the listing fails.
    """
    connection = connection_from(settings)
    token = connection.token.get_secret_value()
    size = max(connection.page_size, LISTING_PAGE_SIZE)
    try:
        with connection.client() as client:
            first, total = client.first_page(page_size=size)
            if not first or (total is not None and total <= len(first)):
                return first
            start = 1 + len(first)
            if total is None or total <= _SPLIT_ABOVE:
                rest = list(client.iter_users(page_size=size, start_index=start))
            else:
                middle = start + ((total - start + 1) // 2 // size) * size
                with (
                    connection.client() as other,
                    futures.ThreadPoolExecutor(max_workers=1) as pool,
                ):
                    later = pool.submit(
                        lambda: list(other.iter_users(page_size=size, start_index=middle))
                    )
                    rest = list(
                        client.iter_users(page_size=size, start_index=start, stop_index=middle)
                    )
                    rest += later.result()
    except (ScimError, ValueError) as error:
        detail = token_masker((token,)).text(str(error))
        raise AccountListingError(f"listing the accounts of the tenant failed: {detail}") from None
    listed = {user.id: user for user in first}
    for user in rest:
        listed.setdefault(user.id, user)  # a page that shifted repeats a user: keep it once
    return list(listed.values())
