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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from collections.abc import Mapping as MappingABC
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pulumi_workplace.assignments import (
    Assignment,
    AssignmentError,
    AssignmentResolution,
    resolve_assignments,
)
from pulumi_workplace.directory import Directory, InputError, Person
from pulumi_workplace.mapping.checks import mapping_set_problems
from pulumi_workplace.mapping.defaults import default_mappings
from pulumi_workplace.mapping.errors import MappingError, ScopingError
from pulumi_workplace.mapping.evaluate import (
    MappedAccount,
    MappingSet,
    evaluate_mappings,
    person_label,
)
from pulumi_workplace.mapping.model import Mapping
from pulumi_workplace.mapping.scoping import ScopingFilter, compile_filters, in_scope

Action = Literal["provision", "deactivate", "release"]
Reason = Literal["unassigned", "out_of_scope", "disabled_in_source", "removed_from_directory"]
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


class ProvisioningPlan(BaseModel):
    """Every account to provision, deactivate or release, sorted by person id."""

    model_config = ConfigDict(frozen=True)

    accounts: list[PlannedAccount]
    warnings: list[str] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)

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
) -> ProvisioningPlan:
    """The plan for `directory`; `ProvisioningInputError` lists every problem found.

    `mappings` defaults to `default_mappings()`; `previously_managed` holds the person ids
    whose accounts the project managed so far (from the Pulumi state); `now` is the clock
    expressions see (one value for the whole plan, so previews are stable).
    """
    problems: list[str] = []
    warnings: list[str] = []
    if scope not in ("assigned", "all"):
        problems.append(f"scope: expected 'assigned' or 'all', got {scope!r}")
    resolution = _resolve(directory, assignments, roles, nested_groups, problems)
    warnings.extend(resolution.warnings)
    filters = _filters(scoping_filters, problems)
    mappings = list(default_mappings() if mappings is None else mappings)
    mapping_problems = mapping_set_problems(mappings)
    problems.extend(mapping_problems)
    prepared = None if mapping_problems else MappingSet(mappings)
    warnings.extend(_non_deterministic(mappings))
    clock = now or dt.datetime.now(dt.UTC)
    managed_ids = set(previously_managed)

    drafts: dict[str, dict[str, Any]] = {}
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
        mapped = MappedAccount()
        if prepared is not None:
            mapped = _map(person, prepared, role, action, clock, problems, warnings)
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
    _link_managers(directory, drafts, warnings)
    problems.extend(_cycles(drafts))
    problems.extend(_shared_matching_values(drafts))
    if problems:
        raise ProvisioningInputError(
            problems, summary=f"provisioning inputs: {len(problems)} problem(s)"
        )
    accounts = [PlannedAccount(**drafts[pid]) for pid in sorted(drafts)]
    counts: dict[str, int] = {a: sum(p.action == a for p in accounts) for a in ACTIONS}
    return ProvisioningPlan(accounts=accounts, warnings=warnings, counts=counts)


def _resolve(
    directory: Directory,
    assignments: Sequence[Assignment | MappingABC[str, Any]],
    roles: Sequence[str],
    nested_groups: bool | int,
    problems: list[str],
) -> AssignmentResolution:
    try:
        return resolve_assignments(directory, assignments, roles=roles, nested_groups=nested_groups)
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


def _non_deterministic(mappings: Sequence[Mapping]) -> list[str]:
    return [
        f"mapping {m.label}: its expression changes on every run (Guid, RandomString or Now) "
        "but applies always; use apply='on_create' or every preview shows a change"
        for m in mappings
        if not m.deterministic and m.apply == "always"
    ]


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
    warnings: list[str],
) -> MappedAccount:
    provision = action == "provision"
    try:
        mapped = evaluate_mappings(person, mappings, role=role, soft_deleted=not provision, now=now)
    except MappingError as exc:
        if provision:
            problems.extend(exc.problems)
            return MappedAccount()
        # Deactivation goes through the stored link; broken data must not block it.
        warnings.append(
            f"{person_label(person)}: mappings fail ({exc.problems[0].split(': ', 1)[-1]}); "
            f"the account is {action}d through its stored link only"
        )
        mapped = MappedAccount()
    if action == "deactivate":
        mapped = mapped.model_copy(update={"attributes": {**mapped.attributes, "active": False}})
    return mapped


def _link_managers(
    directory: Directory, drafts: dict[str, dict[str, Any]], warnings: list[str]
) -> None:
    for draft in drafts.values():
        mapped: MappedAccount = draft["mapped"]
        ref = mapped.manager_ref
        if ref is None:
            continue
        manager = directory.get_person(ref)
        target = drafts.get(manager.id) if manager is not None else None
        if manager is not None and target is not None and target["action"] != "release":
            draft["manager_person_id"] = manager.id
        elif draft["action"] == "provision":
            where = (
                "is not in the directory"
                if manager is None
                else "is not provisioned (outside the scope)"
            )
            warnings.append(
                f"person {draft['user_principal_name']}: manager {ref} {where}; "
                "managerId is left empty"
            )


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
