"""Assignments: users and groups attached to the app with a role, resolved to people.

Rules (Entra ID's, plus the project's where Entra ID is silent):

- A user assignment names a person by userPrincipalName (any case) or object id; a group
  assignment names a group by id or display name (any case; an ambiguous name is an error).
- A group covers its direct members only (Entra ID). `nested_groups=True` expands nested
  groups without limit, an integer `n` expands `n` levels (1 = direct members only); cycles
  between groups are harmless.
- Roles must be declared in `roles`. "Default Access" (any case) is refused: Entra ID does
  not provision users assigned with it to Workplace.
- A person reached by several assignments is one account with ONE role, chosen by:
  1. a direct user assignment beats any group assignment;
  2. among equals, the role listed first in `roles` wins;
  (the remaining tie, the same role, needs no choice).
- The same assignment given twice (same user or group, same role) is reported once as a
  warning, not an error.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from pulumi_workplace.directory import Directory, InputError

DEFAULT_ACCESS = "Default Access"


class Assignment(BaseModel):
    """A user (`user`: userPrincipalName or id) or a group (`group`: id or name) with a role."""

    model_config = ConfigDict(frozen=True)

    user: str | None = None
    group: str | None = None
    role: str

    @model_validator(mode="after")
    def _exactly_one(self) -> Assignment:
        if (self.user is None) == (self.group is None):
            raise ValueError("an assignment names exactly one of user or group")
        if not (self.user or self.group or "").strip():
            raise ValueError("the user or group of an assignment must not be empty")
        return self

    @property
    def kind(self) -> str:
        """`user` or `group`."""
        return "user" if self.user is not None else "group"

    @property
    def target(self) -> str:
        """The user or group reference as given."""
        return self.user if self.user is not None else str(self.group)

    def __str__(self) -> str:
        return f"{self.kind} {self.target!r}, role {self.role!r}"


class ResolvedAssignment(BaseModel):
    """The role a person gets, and the assignments that reached the person."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    role: str
    direct: bool
    """Whether a user assignment (not only a group) reached the person."""
    indices: tuple[int, ...]
    """Positions in the assignment list, in order."""
    via: tuple[Assignment, ...]


class AssignmentResolution(dict[str, ResolvedAssignment]):
    """Person id -> `ResolvedAssignment`, sorted by person id, with `warnings`."""

    def __init__(
        self, items: dict[str, ResolvedAssignment] | None = None, warnings: Sequence[str] = ()
    ) -> None:
        super().__init__(items or {})
        self.warnings: list[str] = list(warnings)


class AssignmentError(InputError):
    """Bad assignments, roles or settings; `partial` holds what could be resolved."""

    def __init__(self, problems: Sequence[str], partial: AssignmentResolution) -> None:
        super().__init__(problems, summary=f"assignments: {len(problems)} problem(s)")
        self.partial = partial


def resolve_assignments(
    directory: Directory,
    assignments: Sequence[Assignment | MappingABC[str, Any]],
    *,
    roles: Sequence[str],
    nested_groups: bool | int = False,
) -> AssignmentResolution:
    """Who is assigned, with which role; `AssignmentError` lists every problem found."""
    problems = _role_problems(roles)
    depth, depth_problem = _depth(nested_groups)
    if depth_problem:
        problems.append(depth_problem)
    rank = {role: index for index, role in enumerate(roles)}
    # person id -> (direct, role rank, index, assignment) per assignment that reaches them
    reached: dict[str, list[tuple[bool, int, int, Assignment]]] = {}
    first_of: dict[tuple[str, str, str], int] = {}
    repeats: dict[int, list[int]] = {}
    warnings: list[str] = []
    for index, raw in enumerate(assignments):
        assignment, problem = _validated(index, raw)
        if assignment is None:
            problems.append(problem)
            continue
        label = f"assignments[{index}] ({assignment})"
        found = _role_problem(assignment.role, roles)
        target_id, people, target_problem = _targets(directory, assignment, depth)
        found += [target_problem] if target_problem else []
        if found:
            problems.extend(f"{label}: {p}" for p in found)
            continue
        key = (assignment.kind, target_id, assignment.role)
        first = first_of.setdefault(key, index)
        if first != index:
            repeats.setdefault(first, []).append(index)
            continue
        if not people:
            warnings.append(f"{label}: the group has no people as members; it assigns nobody")
        for person_id in people:
            entry = (assignment.kind == "user", rank[assignment.role], index, assignment)
            reached.setdefault(person_id, []).append(entry)
    for first, others in repeats.items():
        shown = ", ".join(f"assignments[{i}]" for i in others)
        warnings.append(
            f"{shown} repeat{'s' if len(others) == 1 else ''} assignments[{first}] "
            f"({_assignment_at(assignments, first)}); counted once"
        )
    resolution = AssignmentResolution(
        {pid: _choose(pid, reached[pid]) for pid in sorted(reached)}, warnings
    )
    if problems:
        raise AssignmentError(problems, resolution)
    return resolution


def _assignment_at(assignments: Sequence[Assignment | MappingABC[str, Any]], index: int) -> str:
    raw = assignments[index]
    return str(raw if isinstance(raw, Assignment) else Assignment.model_validate(raw))


def _validated(index: int, raw: Assignment | MappingABC[str, Any]) -> tuple[Assignment | None, str]:
    if isinstance(raw, Assignment):
        return raw, ""
    try:
        return Assignment.model_validate(raw), ""
    except ValidationError as exc:
        message = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        return None, f"assignments[{index}] ({raw!r}): {message}"


def _role_problems(roles: Sequence[str]) -> list[str]:
    problems: list[str] = []
    if isinstance(roles, str):
        return [f"roles: expected a list of role names, got the string {roles!r}"]
    if not roles:
        problems.append("roles: no role is declared; declare the app's roles, e.g. ['Employee']")
    seen: dict[str, str] = {}
    for role in roles:
        if not isinstance(role, str) or not role.strip():
            problems.append(f"roles: {role!r} is not a role name")
        elif role.strip().lower() == DEFAULT_ACCESS.lower():
            problems.append(f"roles: {role!r} cannot be declared; {_DEFAULT_ACCESS_WHY}")
        elif role.lower() in seen:
            problems.append(f"roles: {role!r} is declared twice (also as {seen[role.lower()]!r})")
        else:
            seen[role.lower()] = role
    return problems


_DEFAULT_ACCESS_WHY = (
    "Entra ID's built-in 'Default Access' role does not provision users to Workplace; "
    "declare a role of the app (e.g. 'Employee') and assign that"
)


def _role_problem(role: str, roles: Sequence[str]) -> list[str]:
    if role.strip().lower() == DEFAULT_ACCESS.lower():
        return [f"role {role!r} is refused: {_DEFAULT_ACCESS_WHY}"]
    if role in roles:
        return []
    same = [r for r in roles if r.lower() == role.lower()]
    hint = f"; did you mean {same[0]!r}? (roles are case-sensitive)" if same else ""
    declared = ", ".join(map(repr, roles)) or "none"
    return [f"unknown role {role!r} (declared roles: {declared}){hint}"]


def _depth(nested_groups: bool | int) -> tuple[int | None, str]:
    if isinstance(nested_groups, bool):
        return (None if nested_groups else 1), ""
    if isinstance(nested_groups, int) and nested_groups >= 1:
        return nested_groups, ""
    return 1, f"nested_groups: expected True, False or a depth >= 1, got {nested_groups!r}"


def _targets(
    directory: Directory, assignment: Assignment, depth: int | None
) -> tuple[str, frozenset[str], str]:
    """(target id, person ids covered, problem)."""
    if assignment.user is not None:
        person = directory.get_person(assignment.user)
        if person is None:
            return "", frozenset(), "no person in the directory has this userPrincipalName or id"
        return person.id, frozenset({person.id}), ""
    groups = directory.find_groups(str(assignment.group))
    if not groups:
        return "", frozenset(), "no group in the directory has this id or name"
    if len(groups) > 1:
        ids = ", ".join(g.id for g in groups)
        return "", frozenset(), f"{len(groups)} groups have this name (ids {ids}); use the id"
    return groups[0].id, directory.members(groups[0].id, depth=depth), ""


def _choose(person_id: str, entries: list[tuple[bool, int, int, Assignment]]) -> ResolvedAssignment:
    # Direct first (True sorts after False, hence `not`), then the role's rank, then order.
    chosen = min(entries, key=lambda e: (not e[0], e[1], e[2]))[3]
    ordered = sorted(entries, key=lambda e: e[2])
    return ResolvedAssignment(
        person_id=person_id,
        role=chosen.role,
        direct=any(e[0] for e in entries),
        indices=tuple(e[2] for e in ordered),
        via=tuple(e[3] for e in ordered),
    )
