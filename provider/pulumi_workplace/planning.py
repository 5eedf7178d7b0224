"""The provisioning plan: for every person, provision, deactivate or release, and how.

In scope = assigned (or `scope="all"`), passing the scoping filters, and enabled in the
source. Then:

- in scope -> `provision` (create or update, active);
- previously managed but no longer in scope -> `deactivate` with the reason
  (`unassigned`, `out_of_scope`, `disabled_in_source`, `removed_from_directory`);
  with `skip_out_of_scope_deletions` the `unassigned` and `out_of_scope` ones are
  `release`d instead (stop managing, leave the account as it is), as Entra ID's
  SkipOutOfScopeDeletions; disabled and removed people are still deactivated;
- disabled people never managed before are not created (Entra ID never creates them);
- anyone else is left alone.

When several reasons apply, the first of removed, disabled, unassigned, out of scope is
given. A deactivated person still in the directory is mapped as usual with `active` False;
if its mappings fail, that is a warning (the account is deactivated through its stored
link) rather than an error. Managers must be created first, so a manager cycle is an error.

With `shard` (`pulumi_workplace.sharding`), a person in scope whose shard is another one is
not this plan's: someone it managed is `release`d with the reason `other_shard` (the other
shard adopts the account), anyone else is left alone. A manager in another shard is written by
`userName`, resolved by the provider when it applies (`manager_user_name`).

Warnings are one line per kind, whatever the number of people: the count and the first few
names (see "Warnings" at the end of this module).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Sequence
from collections.abc import Mapping as MappingABC
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pulumi_workplace.assignments import (
    Assignment,
    AssignmentError,
    AssignmentResolution,
    resolve_assignments,
    warning_line,
)
from pulumi_workplace.directory import Directory, InputError, Person
from pulumi_workplace.mapping.checks import mapping_set_problems
from pulumi_workplace.mapping.defaults import default_mappings
from pulumi_workplace.mapping.errors import MappingError, ScopingError
from pulumi_workplace.mapping.evaluate import (
    MappedAccount,
    MappingSet,
    evaluate_mappings,
)
from pulumi_workplace.mapping.model import Mapping
from pulumi_workplace.mapping.scoping import ScopingFilter, compile_filters, in_scope
from pulumi_workplace.sharding import ShardSpec, person_digest, shard_digest

Action = Literal["provision", "deactivate", "release"]
Reason = Literal[
    "unassigned", "out_of_scope", "disabled_in_source", "removed_from_directory", "other_shard"
]
Scope = Literal["assigned", "all"]

ACTIONS: tuple[Action, ...] = ("provision", "deactivate", "release")
_RELEASABLE = ("unassigned", "out_of_scope")


class ProvisioningInputError(InputError):
    """Everything wrong with the inputs of a plan, each naming what is at fault."""


class PlannedAccount(BaseModel):
    """What happens to one person's Workplace account."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    user_principal_name: str | None
    """None only for a person no longer in the directory."""
    role: str | None
    action: Action
    reason: Reason | None = None
    """Why a deactivate or release happens; None for provision."""
    mapped: MappedAccount
    manager_person_id: str | None = None
    """The manager's person id when the manager's account is in the plan (not released)."""
    manager_user_name: str | None = None
    """The manager's userName when the manager belongs to another shard (resolved at apply)."""


class ProvisioningPlan(BaseModel):
    """Every account to provision, deactivate or release, sorted by person id."""

    model_config = ConfigDict(frozen=True)

    accounts: list[PlannedAccount]
    warnings: list[str] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    invalid: dict[str, list[str]] = Field(default_factory=dict)
    """Person id -> why their mappings fail, for people in scope, with invalid_people="skip"
    (their accounts must be left untouched)."""
    notes: list[str] = Field(default_factory=list)
    """Information, not warnings (managers resolved in other shards)."""
    shard: ShardSpec = Field(default_factory=ShardSpec)
    in_other_shards: int = 0
    """People in scope who belong to another shard."""
    digest: str = ""
    """This shard's desired-state digest (`sharding.shard_digest`)."""

    @cached_property
    def _by_person(self) -> dict[str, PlannedAccount]:
        return {a.person_id: a for a in self.accounts}

    def account(self, person_id: str) -> PlannedAccount | None:
        """The planned account of `person_id`."""
        return self._by_person.get(person_id)

    def with_action(self, action: Action) -> list[PlannedAccount]:
        """The accounts with this action."""
        return [a for a in self.accounts if a.action == action]

    def creation_order(self) -> list[PlannedAccount]:
        """Accounts kept in the plan (not released), managers before the people they manage."""
        kept = {a.person_id: a for a in self.accounts if a.action != "release"}
        ordered: list[PlannedAccount] = []
        done: set[str] = set()
        for person_id in kept:
            chain: list[PlannedAccount] = []
            current: str | None = person_id
            while current is not None and current in kept and current not in done:
                done.add(current)
                chain.append(kept[current])
                current = kept[current].manager_person_id
            ordered.extend(reversed(chain))
        return ordered


def plan_provisioning(
    directory: Directory,
    *,
    assignments: Sequence[Assignment | MappingABC[str, Any]],
    roles: Sequence[str],
    mappings: Sequence[Mapping] | None = None,
    scope: Scope = "assigned",
    scoping_filters: Sequence[ScopingFilter | dict[str, Any]] = (),
    nested_groups: bool | int = False,
    previously_managed: Collection[str] = (),
    skip_out_of_scope_deletions: bool = False,
    now: dt.datetime | None = None,
    assignments_setting: str = "assignments",
    roles_setting: str = "roles",
    invalid_people: Literal["fail", "skip"] = "fail",
    shard: ShardSpec | None = None,
    fingerprint: str = "",
) -> ProvisioningPlan:
    """The plan for `directory`; `ProvisioningInputError` lists every problem found.

    `mappings` defaults to `default_mappings()`; `previously_managed` holds the person ids
    whose accounts the project managed so far (from the Pulumi state); `now` is the clock
    expressions see (one value for the whole plan, so previews are stable);
    `assignments_setting` and `roles_setting` are how messages name those two settings (the
    root program passes `workplace:assignments` and `workplace:roles`). With
    `invalid_people="skip"`, a person in scope whose mappings fail is listed in `plan.invalid`
    instead of failing the plan. `shard` limits the plan to one shard; `fingerprint` (the
    settings' part of the desired state) goes into `plan.digest`.
    """
    problems: list[str] = []
    warnings = _Warnings()
    if scope not in ("assigned", "all"):
        problems.append(f"scope: expected 'assigned' or 'all', got {scope!r}")
    resolution = _resolve(
        directory,
        assignments,
        roles,
        nested_groups,
        problems,
        setting=assignments_setting,
        roles_setting=roles_setting,
    )
    warnings.extend(resolution.warnings)
    filters = _filters(scoping_filters, problems)
    mappings = list(default_mappings() if mappings is None else mappings)
    mapping_problems = mapping_set_problems(mappings)
    problems.extend(mapping_problems)
    prepared = None if mapping_problems else MappingSet(mappings)
    for mapping in _non_deterministic(mappings):
        warnings.add("changes_every_run", mapping.label)
    clock = now or dt.datetime.now(dt.UTC)
    managed_ids = set(previously_managed)
    shard = shard or ShardSpec()
    problems.extend(shard.key_problems(directory))

    drafts: dict[str, dict[str, Any]] = {}
    invalid: dict[str, list[str]] = {}
    members = _in_scope(directory, resolution, filters, scope)
    elsewhere: dict[str, str | None] = {}
    """Person id -> role, for people in scope who belong to another shard."""
    for person in sorted(directory.people, key=lambda p: p.id):
        assigned = person.id in resolution
        decision = _decide(
            person,
            in_assignment_scope=assigned or scope == "all",
            passes_filters=in_scope(person, filters),
            managed=person.id in managed_ids,
            skip=skip_out_of_scope_deletions,
        )
        if decision is None:
            continue
        action, reason = decision
        role = resolution[person.id].role if assigned else None
        if action == "provision" and shard.sharded and shard.shard_of(person) != shard.index:
            elsewhere[person.id] = role
            if person.id not in managed_ids:
                continue
            # Moved to another shard: stop managing it here; that shard adopts the account.
            action, reason = "release", "other_shard"
        mapped = MappedAccount()
        if prepared is not None:
            found = problems if invalid_people == "fail" or action != "provision" else []
            mapped = _map(person, prepared, role, action, clock, found, warnings)
            if found is not problems and found:
                invalid[person.id] = found
        drafts[person.id] = {
            "person_id": person.id,
            "user_principal_name": person.user_principal_name,
            "role": role,
            "action": action,
            "reason": reason,
            "mapped": mapped,
        }
    for person_id in sorted(managed_ids - {p.id for p in directory.people}):
        drafts[person_id] = {
            "person_id": person_id,
            "user_principal_name": None,
            "role": None,
            "action": "deactivate",
            "reason": "removed_from_directory",
            "mapped": MappedAccount(),
        }

    def manager_user_name(person: Person) -> str | None:
        # Only managers in other shards are mapped for this (not everyone in the tenant).
        draft = drafts.get(person.id)
        if draft is not None:
            return _user_name_of(draft["mapped"])
        if prepared is None:
            return None
        try:
            mapped = evaluate_mappings(
                person, prepared, role=elsewhere.get(person.id), soft_deleted=False, now=clock
            )
        except MappingError:
            return None
        return _user_name_of(mapped)

    cross_shard = _link_managers(directory, drafts, warnings, set(elsewhere), manager_user_name)
    problems.extend(_cycles(drafts))
    problems.extend(_shared_matching_values(drafts))
    if problems:
        raise ProvisioningInputError(
            problems, summary=f"provisioning inputs: {len(problems)} problem(s)"
        )
    accounts = [PlannedAccount(**drafts[pid]) for pid in sorted(drafts)]
    counts: dict[str, int] = {a: sum(p.action == a for p in accounts) for a in ACTIONS}
    own = [pid for pid in members if pid not in elsewhere]
    return ProvisioningPlan(
        accounts=accounts,
        warnings=warnings.lines(),
        counts=counts,
        invalid=invalid,
        notes=_cross_shard_note(cross_shard),
        shard=shard,
        in_other_shards=len(elsewhere),
        digest=shard_digest(shard, fingerprint, _member_digests(directory, members, own)),
    )


class ShardOverview(BaseModel):
    """Who is in scope and how the shards share them, from the inputs alone (no state)."""

    model_config = ConfigDict(frozen=True)

    in_scope: int
    people: list[int]
    """People per shard."""
    digests: list[str]
    """Each shard's desired-state digest, as its stack exports it after a complete run."""


def scope_members(
    directory: Directory,
    *,
    assignments: Sequence[Assignment | MappingABC[str, Any]],
    roles: Sequence[str],
    scope: Scope = "assigned",
    scoping_filters: Sequence[ScopingFilter | dict[str, Any]] = (),
    nested_groups: bool | int = False,
    shard: ShardSpec | None = None,
    assignments_setting: str = "assignments",
    roles_setting: str = "roles",
) -> dict[str, str | None]:
    """Person id -> role, for everyone in scope whichever shard they are in (no state).

    Raises `ProvisioningInputError` as `plan_provisioning` would for the same inputs.
    """
    problems: list[str] = []
    resolution = _resolve(
        directory,
        assignments,
        roles,
        nested_groups,
        problems,
        setting=assignments_setting,
        roles_setting=roles_setting,
    )
    filters = _filters(scoping_filters, problems)
    problems.extend((shard or ShardSpec()).key_problems(directory))
    if problems:
        raise ProvisioningInputError(
            problems, summary=f"provisioning inputs: {len(problems)} problem(s)"
        )
    return _in_scope(directory, resolution, filters, scope)


def shard_overview(
    directory: Directory,
    *,
    assignments: Sequence[Assignment | MappingABC[str, Any]],
    roles: Sequence[str],
    scope: Scope = "assigned",
    scoping_filters: Sequence[ScopingFilter | dict[str, Any]] = (),
    nested_groups: bool | int = False,
    shard: ShardSpec | None = None,
    fingerprint: str = "",
    assignments_setting: str = "assignments",
    roles_setting: str = "roles",
) -> ShardOverview:
    """Every shard's size and digest (what `pulumi-workplace shards` prints and compares).

    Raises `ProvisioningInputError` as `plan_provisioning` would for the same inputs.
    """
    shard = shard or ShardSpec()
    members = scope_members(
        directory,
        assignments=assignments,
        roles=roles,
        scope=scope,
        scoping_filters=scoping_filters,
        nested_groups=nested_groups,
        shard=shard,
        assignments_setting=assignments_setting,
        roles_setting=roles_setting,
    )
    groups: list[list[str]] = [[] for _ in range(shard.count)]
    for person_id in members:
        person = directory.person_by_id(person_id)
        assert person is not None
        groups[shard.shard_of(person)].append(person_id)
    digests = [
        shard_digest(
            shard.model_copy(update={"index": index}),
            fingerprint,
            _member_digests(directory, members, group),
        )
        for index, group in enumerate(groups)
    ]
    return ShardOverview(in_scope=len(members), people=[len(g) for g in groups], digests=digests)


def _in_scope(
    directory: Directory,
    resolution: AssignmentResolution,
    filters: Sequence[ScopingFilter],
    scope: Scope,
) -> dict[str, str | None]:
    """Person id -> role, for everyone provisioned whichever shard they are in."""
    return {
        person.id: (resolution[person.id].role if person.id in resolution else None)
        for person in directory.people
        if (person.id in resolution or scope == "all")
        and person.account_enabled
        and in_scope(person, filters)
    }


def _member_digests(
    directory: Directory, members: MappingABC[str, str | None], people: Iterable[str]
) -> list[str]:
    digests = []
    for person_id in people:
        person = directory.person_by_id(person_id)
        assert person is not None
        manager = directory.manager_of(person)
        manager_in = (
            None if person.manager_ref is None else (manager is not None and manager.id in members)
        )
        digests.append(person_digest(person, members[person_id], manager_in))
    return digests


def _user_name_of(mapped: MappedAccount) -> str | None:
    value = mapped.values.get("userName")
    return str(value) if isinstance(value, str) and value else None


def _cross_shard_note(names: Sequence[str]) -> list[str]:
    if not names:
        return []
    lead = (
        f"{_people(len(names))} {_their(len(names), 'has a manager', 'have managers')} in "
        "another shard, resolved by userName when the account is written (a manager with no "
        "account yet is filled in by a later run)"
    )
    return [warning_line(lead, sorted(names, key=str.casefold))]


def _resolve(
    directory: Directory,
    assignments: Sequence[Assignment | MappingABC[str, Any]],
    roles: Sequence[str],
    nested_groups: bool | int,
    problems: list[str],
    *,
    setting: str,
    roles_setting: str,
) -> AssignmentResolution:
    try:
        return resolve_assignments(
            directory,
            assignments,
            roles=roles,
            nested_groups=nested_groups,
            setting=setting,
            roles_setting=roles_setting,
        )
    except AssignmentError as exc:
        problems.extend(exc.problems)
        return exc.partial


def _filters(
    raw: Sequence[ScopingFilter | dict[str, Any]], problems: list[str]
) -> list[ScopingFilter]:
    try:
        return compile_filters(raw)
    except ScopingError as exc:
        problems.extend(exc.problems)
        return []


def _non_deterministic(mappings: Sequence[Mapping]) -> list[Mapping]:
    return [m for m in mappings if not m.deterministic and m.apply == "always"]


def _decide(
    person: Person,
    *,
    in_assignment_scope: bool,
    passes_filters: bool,
    managed: bool,
    skip: bool,
) -> tuple[Action, Reason | None] | None:
    enabled = person.account_enabled
    if in_assignment_scope and passes_filters and enabled:
        return "provision", None
    if not managed:
        return None
    reason: Reason
    if not enabled:
        reason = "disabled_in_source"
    elif not in_assignment_scope:
        reason = "unassigned"
    else:
        reason = "out_of_scope"
    return ("release" if skip and reason in _RELEASABLE else "deactivate"), reason


def _map(
    person: Person,
    mappings: MappingSet,
    role: str | None,
    action: Action,
    now: dt.datetime,
    problems: list[str],
    warnings: _Warnings,
) -> MappedAccount:
    provision = action == "provision"
    try:
        mapped = evaluate_mappings(person, mappings, role=role, soft_deleted=not provision, now=now)
    except MappingError as exc:
        if provision:
            problems.extend(exc.problems)
            return MappedAccount()
        # Deactivation goes through the stored link; broken data must not block it.
        why = exc.problems[0].split(": ", 1)[-1]
        kind: _Kind = "unmapped_release" if action == "release" else "unmapped_deactivate"
        warnings.add(kind, f"{person.user_principal_name} ({why})")
        mapped = MappedAccount()
    if action == "deactivate":
        mapped = mapped.model_copy(update={"attributes": {**mapped.attributes, "active": False}})
    return mapped


def _link_managers(
    directory: Directory,
    drafts: dict[str, dict[str, Any]],
    warnings: _Warnings,
    elsewhere: Collection[str] = (),
    user_name_of: Callable[[Person], str | None] = lambda _: None,
) -> list[str]:
    """Link each account to its manager's when that account is in the plan (not released).

    A deactivated manager's account still exists, so it stays the manager (the people keep
    their managerId). A manager in another shard (`elsewhere`) is linked by userName. Otherwise
    a provisioned person's managerId is left empty, and the reason is told apart: the manager
    is not in the directory, released, disabled in the source (never created, as Entra ID
    does), or outside the scope. Returns the people whose manager is in another shard.
    """
    cross_shard: list[str] = []
    for draft in drafts.values():
        mapped: MappedAccount = draft["mapped"]
        ref = mapped.manager_ref
        if ref is None:
            continue
        manager = directory.get_person(ref)
        target = drafts.get(manager.id) if manager is not None else None
        if manager is not None and target is not None and target["action"] != "release":
            draft["manager_person_id"] = manager.id
            continue
        if draft["action"] != "provision":
            continue
        if manager is not None and manager.id in elsewhere:
            name = user_name_of(manager)
            if name is not None:
                draft["manager_user_name"] = name
                cross_shard.append(f"{draft['user_principal_name']} (manager {name})")
                continue
        kind: _Kind
        if manager is not None and manager.id in elsewhere:
            kind = "manager_unmapped"
        elif manager is None:
            kind = "manager_not_in_directory"
        elif target is not None:
            kind = "manager_released"
        elif not manager.account_enabled:
            kind = "manager_disabled"
        else:
            kind = "manager_outside_scope"
        shown = ref if manager is None else manager.user_principal_name
        warnings.add(kind, f"{draft['user_principal_name']} (manager {shown})")
    return cross_shard


def _shared_matching_values(drafts: dict[str, dict[str, Any]]) -> list[str]:
    """Two people with the same matching value would adopt one Workplace account between them."""
    problems: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    for person_id, draft in sorted(drafts.items()):
        if draft["action"] == "release":
            continue
        mapped: MappedAccount = draft["mapped"]
        for key in mapped.match_on:
            value = mapped.values.get(key)
            if not isinstance(value, str) or not value:
                continue
            label = draft.get("user_principal_name") or person_id
            other = seen.setdefault((key, value.casefold()), label)
            if other != label:
                problems.append(
                    f"{other} and {label}: both have {key} {value!r}; a matching attribute "
                    "must be unique, or both people would be linked to one Workplace account"
                )
    return problems


def _cycles(drafts: dict[str, dict[str, Any]]) -> list[str]:
    """Every manager cycle, each named by its people in order."""
    problems: list[str] = []
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = done
    for start in drafts:
        walk: list[str] = []
        current: str | None = start
        while current is not None and current in drafts and state.get(current) is None:
            state[current] = 1
            walk.append(current)
            current = drafts[current].get("manager_person_id")
        if current is not None and state.get(current) == 1:
            cycle = walk[walk.index(current) :]
            names = [str(drafts[pid]["user_principal_name"]) for pid in cycle]
            shown = " -> ".join([*names, names[0]])
            problems.append(
                f"manager cycle: {shown} (each reports to the next); managers must be created "
                "before the people they manage, so fix the manager of one of them"
            )
        for pid in walk:
            state[pid] = 2
    return problems


# Warnings: one line per kind, with the count and the first few names, so that 100,000 people
# whose manager is outside the scope make one line, not 100,000.

_Kind = Literal[
    "changes_every_run",
    "unmapped_deactivate",
    "unmapped_release",
    "manager_not_in_directory",
    "manager_disabled",
    "manager_released",
    "manager_outside_scope",
    "manager_unmapped",
]


def _people(count: int) -> str:
    return f"{count} person" if count == 1 else f"{count} people"


def _their(count: int, one: str, several: str) -> str:
    return one if count == 1 else several


_MANAGER_LEFT_EMPTY = "managerId left empty for {} whose manager {}"

_LEADS: dict[_Kind, Callable[[int], str]] = {
    # In the order the lines are given.
    "changes_every_run": lambda n: (
        f"use apply='on_create' for {n} {_their(n, 'mapping', 'mappings')} whose value changes "
        f"on every run (Guid, RandomString or Now) but {_their(n, 'applies', 'apply')} always, "
        "or every preview shows a change"
    ),
    "unmapped_deactivate": lambda n: (
        f"mappings fail for {_people(n)} being deactivated; "
        f"{_their(n, 'the account is', 'their accounts are')} deactivated through "
        f"{_their(n, 'its stored link', 'their stored links')} only"
    ),
    "unmapped_release": lambda n: (
        f"mappings fail for {_people(n)} being released; "
        f"{_their(n, 'the account is', 'their accounts are')} released through "
        f"{_their(n, 'its stored link', 'their stored links')} only"
    ),
    "manager_not_in_directory": lambda n: _MANAGER_LEFT_EMPTY.format(
        _people(n), "is not in the directory"
    ),
    "manager_disabled": lambda n: _MANAGER_LEFT_EMPTY.format(
        _people(n),
        "is disabled in the directory (accountEnabled false), so not provisioned",
    ),
    "manager_released": lambda n: _MANAGER_LEFT_EMPTY.format(
        _people(n),
        "is released (out of scope under skip_out_of_scope_deletions: no longer managed)",
    ),
    "manager_outside_scope": lambda n: _MANAGER_LEFT_EMPTY.format(
        _people(n), "is outside the scope"
    ),
    "manager_unmapped": lambda n: _MANAGER_LEFT_EMPTY.format(
        _people(n), "is in another shard and has no userName (their mappings fail)"
    ),
}


class _Warnings:
    """A plan's warnings, gathered by kind; `lines()` gives one line per kind."""

    def __init__(self) -> None:
        self._given: list[str] = []
        self._names: dict[_Kind, list[str]] = {}

    def extend(self, lines: Iterable[str]) -> None:
        """Lines already one per kind (the assignments')."""
        self._given.extend(lines)

    def add(self, kind: _Kind, name: str) -> None:
        """One more person (or mapping) of this kind."""
        self._names.setdefault(kind, []).append(name)

    def lines(self) -> list[str]:
        """The warnings: the given lines, then one line per kind, names sorted."""
        lines = list(self._given)
        for kind, lead in _LEADS.items():
            names = self._names.get(kind)
            if names:
                lines.append(warning_line(lead(len(names)), sorted(names, key=str.casefold)))
        return lines
