"""`workplace:unmanagedAccounts`: what a run does with accounts that match no person.

The program lists the tenant once (operations/discovery.py) and hands the accounts here as
`census.TenantAccount`s. `report` names them in every preview and run; `deactivate` takes each
active one over (a `User` with `accountId`, so the create never POSTs) and deactivates it,
counted by the deprovisioning guard with the run's other deprovisions. The stack remembers a
taken-over account under `account:<id>` in its bookkeeping output and keeps declaring it while
it still matches no person; once it matches a person, or a `workplace:keepAccounts` pattern, it
is left as it is (the `User` is declared with `deprovision: retain`, so dropping it sends
nothing). With shards, each such account belongs to one shard, by a hash of its id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pulumi_workplace.census import KeepPatterns, PeopleIndex, TenantAccount
from pulumi_workplace.scim import ScimUser
from pulumi_workplace.sharding import ShardSpec

Policy = Literal["ignore", "report", "deactivate"]
TAKEN_OVER_PREFIX = "account:"
"""Bookkeeping keys of taken-over accounts (person ids never start with it)."""
SHOWN = 10
"""Accounts named in one preview line; `pulumi-workplace discover` lists every one."""


def tenant_account(user: ScimUser) -> TenantAccount:
    """The census record of a listed account."""
    status = user.account_status
    return TenantAccount(
        id=str(user.id),
        user_name=user.user_name,
        external_id=user.external_id,
        active=user.active,
        invited=status.invited if status is not None else None,
        claimed=status.claimed if status is not None else None,
    )


def tenant_accounts(users: Iterable[ScimUser]) -> list[TenantAccount]:
    """Census records of every listed account that has an id."""
    return [tenant_account(user) for user in users if user.id]


def is_taken_over(key: str) -> bool:
    """True for a bookkeeping key of a taken-over account (not a person id)."""
    return key.startswith(TAKEN_OVER_PREFIX)


@dataclass(frozen=True)
class UnmanagedAccounts:
    """The policy, the keep patterns, and the tenant as listed for this run."""

    policy: Policy
    keep: KeepPatterns
    accounts: Sequence[TenantAccount] = field(default_factory=tuple)


@dataclass(frozen=True)
class UnmanagedPlan:
    """What this run does with the accounts that match no person."""

    unmatched: list[TenantAccount]
    """Every account of this shard that matches no person and that no stack entry explains."""
    kept: list[TenantAccount]
    """Those a keep pattern protects."""
    take_over: list[TenantAccount]
    """Active, not kept: deactivated by this run (policy deactivate)."""
    still_managed: list[TenantAccount]
    """Taken over earlier, still matching no person: declared again, nothing to write."""

    @property
    def inactive(self) -> list[TenantAccount]:
        """Unmatched, not kept, already inactive (nothing to write)."""
        ids = {a.id for a in self.kept} | {a.id for a in self.take_over}
        return [a for a in self.unmatched if a.id not in ids and a.active is False]


def plan_unmanaged(
    unmanaged: UnmanagedAccounts,
    people: PeopleIndex,
    previous: Mapping[str, Mapping[str, Any]],
    shard: ShardSpec,
) -> UnmanagedPlan:
    """Classify this shard's accounts that match no person; nothing is sent."""
    taken_over = {key[len(TAKEN_OVER_PREFIX) :] for key in previous if is_taken_over(key)}
    managed_names = {
        str(entry.get("userName") or "").casefold()
        for key, entry in previous.items()
        if not is_taken_over(key)
    } - {""}
    unmatched: list[TenantAccount] = []
    still: list[TenantAccount] = []
    for account in unmanaged.accounts:
        if people.person_of(account) is not None:
            continue
        if account.id in taken_over:
            if not unmanaged.keep.keeps(account) and unmanaged.policy == "deactivate":
                still.append(account)
            continue
        if (account.user_name or "").casefold() in managed_names:
            continue  # this stack's account of a person who left the directory
        if shard.shard_of_value(account.id) != shard.index:
            continue
        unmatched.append(account)
    kept = [a for a in unmatched if unmanaged.keep.keeps(a)]
    kept_ids = {a.id for a in kept}
    take_over = (
        [a for a in unmatched if a.id not in kept_ids and a.active is not False]
        if unmanaged.policy == "deactivate"
        else []
    )
    return UnmanagedPlan(unmatched=unmatched, kept=kept, take_over=take_over, still_managed=still)


def names(accounts: Sequence[TenantAccount]) -> str:
    """The first accounts by name, and how many more."""
    shown = ", ".join(a.label for a in accounts[:SHOWN])
    more = f" and {len(accounts) - SHOWN} more" if len(accounts) > SHOWN else ""
    return shown + more


def report_line(plan: UnmanagedPlan, policy: Policy) -> str | None:
    """The line every preview and run shows about them, or None when there are none."""
    if not plan.unmatched:
        return None
    line = (
        f"{len(plan.unmatched)} account(s) in the tenant match no person in the directory "
        f"(workplace:unmanagedAccounts: {policy}): {names(plan.unmatched)}"
    )
    if plan.kept:
        line += f"; {len(plan.kept)} kept by workplace:keepAccounts"
    return line + "; `pulumi-workplace discover` lists every account"
