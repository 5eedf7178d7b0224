"""`pulumi_workplace.Provisioning`: assignments + mappings -> one `User` per managed person.

The plan itself (who is in scope, what each account looks like, who is deactivated and why) is
`pulumi_workplace.planning`, which knows nothing of Pulumi. This component turns the plan into
`User` children, managers first, and remembers which people it manages in a stack output, read
back next run through a StackReference to the stack itself: that is how a person who leaves the
scope is deactivated (an update to `active: false`, shown as such in the preview) rather than
silently dropped.

With `shard`, the stack also exports its layout (`<name>.shard`, compared next run by the
reshard guard) and, once every account is written, its desired-state digest
(`<name>.desiredDigest`, read by `pulumi-workplace shards --changed`; `pending` while a manager
in another shard has no account yet).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pulumi

from pulumi_workplace.assignments import Assignment
from pulumi_workplace.census import PeopleIndex
from pulumi_workplace.directory import Directory, InputError
from pulumi_workplace.directory.errors import format_problems
from pulumi_workplace.mapping import Mapping as AttributeMapping
from pulumi_workplace.mapping import ScopingFilter, default_mappings
from pulumi_workplace.operations.change_guard import (
    allowed_updates_from,
    change_guard_from,
    decode_digests,
    encode_digests,
    value_digest,
)
from pulumi_workplace.operations.guard import allowed_from, guard_from
from pulumi_workplace.operations.shard_guard import shard_change_decision
from pulumi_workplace.planning import (
    PlannedAccount,
    ProvisioningPlan,
    plan_provisioning,
    scope_members,
)
from pulumi_workplace.resources import _run_notices, _unmanaged
from pulumi_workplace.resources._program_config import ProgramConfig
from pulumi_workplace.resources._user_props import flatten
from pulumi_workplace.resources._user_validation import check_user
from pulumi_workplace.resources.user import DeprovisionMode, User, UserArgs
from pulumi_workplace.sharding import ShardSpec

MANAGED_OUTPUT_SUFFIX = "managedPeople"
SHARD_OUTPUT_SUFFIX = "shard"
DIGEST_OUTPUT_SUFFIX = "desiredDigest"
PENDING_DIGEST = "pending"
"""The digest exported while some manager in another shard has no account yet."""


def managed_output_name(component_name: str) -> str:
    """The stack output where a `Provisioning` named `component_name` lists its people."""
    return f"{component_name}.{MANAGED_OUTPUT_SUFFIX}"


def shard_output_name(component_name: str) -> str:
    """The stack output with the shard layout the last run applied."""
    return f"{component_name}.{SHARD_OUTPUT_SUFFIX}"


def digest_output_name(component_name: str) -> str:
    """The stack output with the desired-state digest of the last complete run."""
    return f"{component_name}.{DIGEST_OUTPUT_SUFFIX}"


def resource_name(component_name: str, label: str) -> str:
    """The name of a person's `User` under a component: `<component>/<userPrincipalName>`."""
    return f"{component_name}/{label.lower().replace('::', ':')}"


class Provisioning(pulumi.ComponentResource):
    """Provision Workplace accounts from a directory, assignments, scope and mappings.

    Outputs: `counts` (accounts by action: provision, deactivate, release), `user_ids`
    (person id -> Workplace id), `deactivated` (person id -> reason). `shard` makes it manage
    one shard of the people in scope (`pulumi_workplace.sharding`); `fingerprint` is the
    settings' part of the exported digest.
    """

    counts: pulumi.Output[dict[str, int]]
    user_ids: pulumi.Output[dict[str, str]]
    deactivated: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        name: str,
        *,
        directory: Directory,
        assignments: Sequence[Assignment | Mapping[str, Any]],
        roles: Sequence[str],
        mappings: Sequence[AttributeMapping] | None = None,
        scope: Literal["assigned", "all"] = "assigned",
        scoping_filters: Sequence[ScopingFilter | dict[str, Any]] = (),
        nested_groups: bool | int = False,
        skip_out_of_scope_deletions: bool = False,
        deprovision: DeprovisionMode = "deactivate",
        invalid_people: Literal["fail", "skip"] = "fail",
        assignments_setting: str = "assignments",
        roles_setting: str = "roles",
        shard: ShardSpec | None = None,
        fingerprint: str = "",
        unmanaged: _unmanaged.UnmanagedAccounts | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pulumi-workplace:index:Provisioning", name, None, opts)
        self._name = name
        self._deprovision: DeprovisionMode = deprovision
        self._shard = shard or ShardSpec()
        self._invalid: dict[str, list[str]] = {}
        """Person id -> why its mapped values are invalid (with invalid_people="skip")."""
        self._unmanaged = unmanaged
        self._people: PeopleIndex | None = None

        # One clock for the whole run, so expressions using Now() plan the same both times.
        now = dt.datetime.now(dt.UTC)

        def plan_for(previous: Mapping[str, Any]) -> ProvisioningPlan:
            return plan_provisioning(
                directory,
                assignments=assignments,
                roles=roles,
                mappings=mappings,
                scope=scope,
                scoping_filters=scoping_filters,
                nested_groups=nested_groups,
                previously_managed={k for k in previous if not _unmanaged.is_taken_over(k)},
                skip_out_of_scope_deletions=skip_out_of_scope_deletions,
                now=now,
                assignments_setting=assignments_setting,
                roles_setting=roles_setting,
                invalid_people=invalid_people,
                shard=self._shard,
                fingerprint=fingerprint,
            )

        # Check the inputs now, before anything is registered: bad input never reaches Workplace.
        try:
            first = plan_for({})
            by_person = {**first.invalid, **self._account_problems(first)}
        except InputError as error:
            raise pulumi.RunError(f"Provisioning {name!r}: {error}") from None
        if by_person and invalid_people != "skip":
            problems = [problem for found in by_person.values() for problem in found]
            raise pulumi.RunError(f"Provisioning {name!r}: " + format_problems(problems))
        self._invalid = by_person
        if unmanaged is not None and unmanaged.policy != "ignore":
            # Who an account could belong to: everyone in the directory, by mapped values.
            members = scope_members(
                directory,
                assignments=assignments,
                roles=roles,
                scope=scope,
                scoping_filters=scoping_filters,
                nested_groups=nested_groups,
                shard=self._shard,
            )
            chosen = default_mappings() if mappings is None else list(mappings)
            self._people = PeopleIndex(directory, chosen, members, now)

        last = _last_run(name)
        result = last.apply(lambda run: self._declare(plan_for(run[0]), run[0], run[1]))
        # The bookkeeping output read back is a secret; these summaries hold nothing secret.
        self.counts = pulumi.Output.unsecret(result.apply(lambda r: r["counts"]))
        self.user_ids = pulumi.Output.unsecret(result.apply(lambda r: r["user_ids"]))
        self.deactivated = pulumi.Output.unsecret(result.apply(lambda r: r["deactivated"]))
        # Bookkeeping for the next run, not for people: kept as a secret so previews show
        # `[secret]` instead of one line per person.
        pulumi.export(
            managed_output_name(name), pulumi.Output.secret(result.apply(lambda r: r["managed"]))
        )
        pulumi.export(shard_output_name(name), self._shard.layout())
        # A hash, not a secret (the bookkeeping it is derived along with is one): plain, so that
        # `pulumi stack output` shows it to `pulumi-workplace shards --changed`.
        pulumi.export(
            digest_output_name(name), pulumi.Output.unsecret(result.apply(lambda r: r["digest"]))
        )
        self.register_outputs(
            {"counts": self.counts, "userIds": self.user_ids, "deactivated": self.deactivated}
        )

    def _declare(
        self,
        plan: ProvisioningPlan,
        previous: Mapping[str, _Previous],
        layout_before: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """Register one `User` per kept account (managers first); summarise the plan."""
        self._invalid = {**self._invalid, **plan.invalid}
        self._shard_guard(previous, layout_before)
        for warning in plan.warnings:
            pulumi.log.warn(f"{self._name}: {warning}", resource=self)
        for note in plan.notes:
            pulumi.log.info(f"{self._name}: {note}", resource=self)
        unmanaged = self._plan_unmanaged(previous)
        self._guard(plan, previous, len(unmanaged.take_over) if unmanaged else 0)
        # One digest pass per run (about 1 s per 10,000 people), for the guard and the record.
        digests = {a.person_id: _digests(a) for a in plan.creation_order()}
        self._change_guard(plan, previous, digests)
        _announce_deprovisioning(self, plan, previous)
        if unmanaged is not None and unmanaged.take_over:
            pulumi.log.warn(
                f"will DEACTIVATE {len(unmanaged.take_over)} account(s) that match no person in "
                f"the directory: {_unmanaged.names(unmanaged.take_over)} "
                "(workplace:unmanagedAccounts: deactivate)",
                resource=self,
            )
        _run_notices.stop_if_paused(self)

        users: dict[str, User] = {}
        managed: dict[str, _Previous] = {}
        self._announce_skipped(plan, previous)
        for account in plan.creation_order():
            user_name = account.mapped.values.get("userName") or _user_name(previous, account)
            if account.person_id in self._invalid:
                if account.person_id in previous:
                    # Left untouched: declared as it was (the engine keeps its last inputs),
                    # so it is neither updated nor removed, hence never deactivated for it.
                    name, opts = self._naming(account, previous)
                    opts = pulumi.ResourceOptions.merge(
                        opts, pulumi.ResourceOptions(ignore_changes=["attributes", "options"])
                    )
                    users[account.person_id] = User(
                        name, UserArgs(user_name=_user_name(previous, account)), opts=opts
                    )
                    managed[account.person_id] = dict(previous[account.person_id])
                continue
            args = self._args(account, users, user_name)
            if account.action == "deactivate" and not _valid(args):
                # Deactivation goes through the stored link: bad data must not block it.
                args = UserArgs(
                    user_name=None if user_name is None else str(user_name),
                    active=False,
                    deprovision=self._deprovision,
                )
            name, opts = self._naming(account, previous)
            users[account.person_id] = User(name, args, opts=opts)
            managed[account.person_id] = {
                "userName": str(user_name or ""),
                "active": account.action == "provision",
                "resource": name,
                "values": encode_digests(digests[account.person_id]),
            }
        if unmanaged is not None:
            self._declare_taken_over(unmanaged, previous, managed)
        for account in plan.with_action("release"):
            # Stop managing: keep the account as it is. Declared once more with `retain`, so
            # that removing it from the program next run sends nothing to Workplace.
            user_name = _user_name(previous, account) or account.user_principal_name
            name, opts = self._naming(account, previous)
            User(name, UserArgs(user_name=user_name, active=None, deprovision="retain"), opts=opts)
        return {
            "counts": dict(plan.counts),
            "user_ids": {pid: user.id for pid, user in users.items()},
            "deactivated": {a.person_id: a.reason or "" for a in plan.with_action("deactivate")},
            "managed": managed,
            "digest": _complete_digest(plan.digest, list(users.values())),
        }

    def _plan_unmanaged(self, previous: Mapping[str, _Previous]) -> _unmanaged.UnmanagedPlan | None:
        """This run's accounts that match no person; the report line in preview and run."""
        if self._unmanaged is None or self._people is None:
            return None
        found = _unmanaged.plan_unmanaged(self._unmanaged, self._people, previous, self._shard)
        line = _unmanaged.report_line(found, self._unmanaged.policy)
        if line is not None:
            pulumi.log.warn(f"{self._name}: {line}", resource=self)
            _run_notices.record_unmanaged(ProgramConfig(), line)
        return found

    def _declare_taken_over(
        self,
        found: _unmanaged.UnmanagedPlan,
        previous: Mapping[str, _Previous],
        managed: dict[str, _Previous],
    ) -> None:
        """One `User` per account taken over (now or earlier) that still matches no person."""
        for account in [*found.still_managed, *found.take_over]:
            key = _unmanaged.TAKEN_OVER_PREFIX + account.id
            before = (previous.get(key) or {}).get("resource")
            name = before or resource_name(self._name, f"unmanaged/{account.label}")
            User(
                name,
                UserArgs(
                    user_name=account.user_name,
                    active=False,
                    account_id=account.id,
                    # Dropped later (the account matches a person, or is kept): send nothing.
                    deprovision="retain",
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            managed[key] = {
                "userName": account.user_name or "",
                "active": False,
                "resource": name,
            }

    def _shard_guard(
        self, previous: Mapping[str, _Previous], layout_before: Mapping[str, Any] | None
    ) -> None:
        """A new shard layout moves people between stacks: stop unless approved for this run."""
        decision = shard_change_decision(layout_before, self._shard.layout(), len(previous))
        if decision.approved:
            pulumi.log.warn(decision.message, resource=self)
        if decision.blocked:
            raise pulumi.RunError(f"{self._name}: {decision.message}")

    def _account_problems(self, plan: ProvisioningPlan) -> dict[str, list[str]]:
        """What `User.check` would refuse, per person provisioned, before anything is written.

        Deactivations are not judged by their values: they go through the stored link.
        """
        problems: dict[str, list[str]] = {}
        for account in plan.with_action("provision"):
            if account.person_id in plan.invalid:
                continue  # its mappings failed: nothing to check
            user_name = account.mapped.values.get("userName")
            props = self._args(account, {}, user_name).to_props()
            _, failures = check_user(flatten(props))
            label = account.user_principal_name or account.person_id
            if failures:
                problems[account.person_id] = [f"{label}: {f.reason}" for f in failures]
        return problems

    def _announce_skipped(self, plan: ProvisioningPlan, previous: Mapping[str, _Previous]) -> None:
        """Name, once per run, the people left untouched because their values are invalid."""
        if not self._invalid:
            return
        reasons = [found[0] for found in self._invalid.values()]
        shown = "; ".join(reasons[:5])
        more = f"; and {len(reasons) - 5} more" if len(reasons) > 5 else ""
        pulumi.log.warn(
            f"{len(reasons)} person(s) left untouched, their mapped values are invalid "
            f"(workplace:invalidPeople: skip): {shown}{more}",
            resource=self,
        )
        _run_notices.record_skipped(ProgramConfig(), reasons)

    def _guard(
        self, plan: ProvisioningPlan, previous: Mapping[str, _Previous], taken_over: int = 0
    ) -> None:
        """Entra's accidental-deletions prevention: too many deprovisions stop the run here,
        before any `User` is registered, so preview and up fail before anything changes.
        Accounts that match no person and are deactivated now (`taken_over`) count too."""
        planned = len(_newly_deprovisioned(plan, previous)) + taken_over
        config = ProgramConfig()
        decision = guard_from(config).evaluate(
            planned, len(previous) + taken_over, allowed=allowed_from()
        )
        if decision.approved:
            pulumi.log.warn(decision.message, resource=self)
        if decision.blocked:
            _run_notices.notify_guard(config, decision.message)
            raise pulumi.RunError(f"{self._name}: {decision.message}")

    def _change_guard(
        self,
        plan: ProvisioningPlan,
        previous: Mapping[str, _Previous],
        digests: Mapping[str, dict[str, str]],
    ) -> None:
        """Stop before any `User` is registered when one attribute would change for too many
        accounts (operations/change_guard.py); a typo in a mapping must not rewrite everyone."""
        before = {}
        for pid, entry in previous.items():
            decoded = decode_digests(entry.get("values")) if isinstance(entry, Mapping) else None
            if decoded is not None:
                before[pid] = decoded
        if not before:
            return  # the first run, or one recorded before digests were kept
        # People left untouched (invalid_people="skip") change nothing this run.
        accounts = [a for a in plan.with_action("provision") if a.person_id not in self._invalid]
        desired = {a.person_id: digests[a.person_id] for a in accounts}
        labels = {a.person_id: a.user_principal_name or a.person_id for a in accounts}
        config = ProgramConfig()
        decision = change_guard_from(config).evaluate(
            before, desired, labels, allowed=allowed_updates_from()
        )
        if decision.approved:
            pulumi.log.warn(decision.message, resource=self)
        if decision.blocked:
            _run_notices.notify_guard(
                config,
                decision.message,
                subject="Workplace provisioning stopped: one attribute would change for too many "
                "accounts",
            )
            raise pulumi.RunError(f"{self._name}: {decision.message}")

    def _naming(
        self, account: PlannedAccount, previous: Mapping[str, _Previous]
    ) -> tuple[str, pulumi.ResourceOptions]:
        """Readable resource names (the userPrincipalName), stable across renames by alias."""
        before = (previous.get(account.person_id) or {}).get("resource")
        label = account.user_principal_name or _user_name(previous, account) or account.person_id
        name = before if account.user_principal_name is None and before else None
        name = name or resource_name(self._name, label)
        aliases = [pulumi.Alias(name=before)] if before and before != name else None
        return name, pulumi.ResourceOptions(parent=self, aliases=aliases)

    def _args(self, account: PlannedAccount, users: Mapping[str, User], user_name: Any) -> UserArgs:
        mapped = account.mapped
        values = {k: v for k, v in mapped.attributes.items() if v is not None}
        clear = sorted(k for k, v in mapped.attributes.items() if v is None and k != "managerId")
        args = UserArgs(
            match_on=mapped.match_on or ["userName"],
            deprovision=self._deprovision,
            clear=clear,
            create_only={k: v for k, v in mapped.create_only.items() if v is not None},
        )
        for key, value in values.items():
            setattr(args, _snake(key), value)
        if user_name and not args.user_name:
            args.user_name = user_name
        if account.manager_person_id and account.manager_person_id in users:
            args.manager_id = users[account.manager_person_id].id
        elif account.manager_user_name:
            # In another shard: the provider looks the account up when it writes this one.
            args.manager_user_name = account.manager_user_name
        elif "managerId" in mapped.attributes:
            args.clear = sorted({*args.clear, "managerId"})
        if account.action == "deactivate":
            args.active = False
            if account.reason == "removed_from_directory":
                # Nothing is known of this person any more but the link: only deactivate.
                args.clear = []
                args.create_only = None
        elif "active" not in values:
            args.active = True
        return args


_Previous = dict[str, Any]
"""What a run remembers of one person: {"userName": str, "active": bool}."""


def _user_name(previous: Mapping[str, _Previous], account: PlannedAccount) -> str | None:
    entry = previous.get(account.person_id) or {}
    value = entry.get("userName")
    return str(value) if value else None


def _valid(args: UserArgs) -> bool:
    _, failures = check_user(flatten(args.to_props()))
    return not failures


def _digests(account: PlannedAccount) -> dict[str, str]:
    """What the mass-change guard compares next run: a short digest per non-empty value.

    `active` is the deprovisioning guard's; the manager is compared by its directory reference.
    """
    mapped = account.mapped
    values: dict[str, Any] = {k: v for k, v in mapped.attributes.items() if k != "active"}
    if mapped.manager_ref is not None:
        values["managerId"] = mapped.manager_ref
    digests = {key: value_digest(value) for key, value in sorted(values.items())}
    return {key: digest for key, digest in digests.items() if digest is not None}


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _newly_deprovisioned(
    plan: ProvisioningPlan, previous: Mapping[str, _Previous]
) -> list[PlannedAccount]:
    """Accounts this run deactivates that were active after the last run."""
    return [
        a
        for a in plan.with_action("deactivate")
        if (previous.get(a.person_id) or {}).get("active", True)
    ]


def _announce_deprovisioning(
    component: pulumi.Resource, plan: ProvisioningPlan, previous: Mapping[str, _Previous]
) -> None:
    """Say plainly, in the preview, who loses access this run and why."""
    releases = [a for a in plan.with_action("release") if a.person_id in previous]
    groups = (("DEACTIVATE", _newly_deprovisioned(plan, previous)), ("STOP MANAGING", releases))
    for verb, accounts in groups:
        if not accounts:
            continue
        names = ", ".join(
            f"{a.user_principal_name or _user_name(previous, a) or a.person_id} ({a.reason})"
            for a in accounts[:20]
        )
        more = f" and {len(accounts) - 20} more" if len(accounts) > 20 else ""
        pulumi.log.warn(
            f"will {verb} {len(accounts)} account(s): {names}{more}", resource=component
        )


def _last_run(name: str) -> pulumi.Output[tuple[dict[str, _Previous], dict[str, Any] | None]]:
    """What the last run of this stack managed (person id -> entry; empty on the first run) and
    the shard layout it applied (None when it recorded none)."""
    stack = pulumi.StackReference(
        f"{name}-previous-run",
        stack_name=f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}",
    )
    managed = stack.get_output(managed_output_name(name))
    layout = stack.get_output(shard_output_name(name))
    return pulumi.Output.all(managed, layout).apply(
        lambda values: (
            dict(values[0]) if isinstance(values[0], Mapping) else {},
            dict(values[1]) if isinstance(values[1], Mapping) else None,
        )
    )


def _complete_digest(digest: str, users: Sequence[User]) -> pulumi.Output[str]:
    """The plan's digest once every account is written; `pending` while a manager in another
    shard has no account yet (so `shards --changed` keeps listing this shard)."""
    if not users:
        return pulumi.Output.from_input(digest)
    return pulumi.Output.all(*[user.status for user in users]).apply(
        lambda statuses: (
            PENDING_DIGEST
            if any((status or {}).get("managerPending") for status in statuses)
            else digest
        )
    )
