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

Messages name the setting the user edits (`setting`, `roles_setting`: `assignments` and `roles`
from Python, `workplace:assignments` and `workplace:roles` from the root program). An unknown user
or group gets a "did you mean" (see `_Suggestions`). Warnings are one line per kind, with the
count and at most `WARNING_NAMES` names (`warning_line`, also used by `planning`).
"""

from __future__ import annotations

import difflib
import heapq
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from pulumi_workplace.directory import Directory, Group, InputError

DEFAULT_ACCESS = "Default Access"

WARNING_NAMES = 5
"""How many names a warning lists; the others are counted ("and 170 more")."""


def warning_line(lead: str, names: Sequence[str]) -> str:
    """One warning for a whole kind: `lead` (with the count), then at most `WARNING_NAMES` names."""
    shown = ", ".join(names[:WARNING_NAMES])
    more = len(names) - WARNING_NAMES
    return f"{lead}: {shown}" + (f" and {more} more" if more > 0 else "")


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
    setting: str = "assignments",
    roles_setting: str = "roles",
) -> AssignmentResolution:
    """Who is assigned, with which role; `AssignmentError` lists every problem found.

    `setting` and `roles_setting` are how messages name the assignments and the roles (the root
    program passes `workplace:assignments` and `workplace:roles`).
    """
    problems = _role_problems(roles, roles_setting)
    depth, depth_problem = _depth(nested_groups)
    if depth_problem:
        problems.append(depth_problem)
    rank = {role: index for index, role in enumerate(roles)}
    suggest = _Suggestions(directory)
    # person id -> (direct, role rank, index, assignment) per assignment that reaches them
    reached: dict[str, list[tuple[bool, int, int, Assignment]]] = {}
    first_of: dict[tuple[str, str, str], int] = {}
    repeats: list[str] = []
    empty: list[str] = []
    for index, raw in enumerate(assignments):
        assignment, problem = _validated(index, raw, setting)
        if assignment is None:
            problems.append(problem)
            continue
        label = f"{setting}[{index}] ({assignment})"
        found = _role_problem(assignment.role, roles)
        target_id, people, target_problem = _targets(directory, assignment, depth, suggest)
        found += [target_problem] if target_problem else []
        if found:
            problems.extend(f"{label}: {p}" for p in found)
            continue
        key = (assignment.kind, target_id, assignment.role)
        first = first_of.setdefault(key, index)
        if first != index:
            repeats.append(f"{label} repeats {setting}[{first}]")
            continue
        if not people:
            empty.append(label)
        for person_id in people:
            entry = (assignment.kind == "user", rank[assignment.role], index, assignment)
            reached.setdefault(person_id, []).append(entry)
    warnings: list[str] = []
    if empty:
        lead = (
            "1 group assignment assigns nobody (its group has no people as members)"
            if len(empty) == 1
            else f"{len(empty)} group assignments assign nobody (their groups have no people "
            "as members)"
        )
        warnings.append(warning_line(lead, empty))
    if repeats:
        lead = (
            "1 assignment repeats an earlier one and is counted once"
            if len(repeats) == 1
            else f"{len(repeats)} assignments repeat an earlier one and are counted once"
        )
        warnings.append(warning_line(lead, repeats))
    resolution = AssignmentResolution(
        {pid: _choose(pid, reached[pid]) for pid in sorted(reached)}, warnings
    )
    if problems:
        raise AssignmentError(problems, resolution)
    return resolution


def _validated(
    index: int, raw: Assignment | MappingABC[str, Any], setting: str
) -> tuple[Assignment | None, str]:
    if isinstance(raw, Assignment):
        return raw, ""
    try:
        return Assignment.model_validate(raw), ""
    except ValidationError as exc:
        message = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        return None, f"{setting}[{index}] ({raw!r}): {message}"


def _role_problems(roles: Sequence[str], setting: str) -> list[str]:
    problems: list[str] = []
    if isinstance(roles, str):
        return [f"{setting}: expected a list of role names, got the string {roles!r}"]
    if not roles:
        problems.append(
            f"{setting}: no role is declared; declare the app's roles, e.g. ['Employee']"
        )
    seen: dict[str, str] = {}
    for role in roles:
        if not isinstance(role, str) or not role.strip():
            problems.append(f"{setting}: {role!r} is not a role name")
        elif role.strip().lower() == DEFAULT_ACCESS.lower():
            problems.append(f"{setting}: {role!r} cannot be declared; {_DEFAULT_ACCESS_WHY}")
        elif role.lower() in seen:
            problems.append(
                f"{setting}: {role!r} is declared twice (also as {seen[role.lower()]!r})"
            )
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
    directory: Directory, assignment: Assignment, depth: int | None, suggest: _Suggestions
) -> tuple[str, frozenset[str], str]:
    """(target id, person ids covered, problem)."""
    if assignment.user is not None:
        person = directory.get_person(assignment.user)
        if person is None:
            hint = _did_you_mean(suggest.people(assignment.user))
            return (
                "",
                frozenset(),
                f"no person in the directory has this userPrincipalName or id{hint}",
            )
        return person.id, frozenset({person.id}), ""
    groups = directory.find_groups(str(assignment.group))
    if not groups:
        hint = _did_you_mean(suggest.groups(str(assignment.group)))
        return "", frozenset(), f"no group in the directory has this id or name{hint}"
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


# "Did you mean": only computed for a reference that names nobody.

_SUGGESTIONS = 3
"""At most this many suggestions."""
_CUTOFF = 0.6
"""difflib's similarity ratio a suggestion needs (its default)."""
_LENGTHS = 3
"""A close name is at most this many characters longer or shorter."""
_COMPARED = 300
"""At most this many names are compared by difflib for one reference."""
_NARROW_ABOVE = 1000
"""Above this many names, only those starting like the reference are candidates (`_Names`)."""


def _did_you_mean(suggestions: Sequence[str]) -> str:
    if not suggestions:
        return ""
    quoted = [repr(s) for s in suggestions]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f"; did you mean {listed}?"


def _folded(text: str) -> str:
    """Case and spacing folded: how a reference that is right but for those is recognised."""
    return " ".join(text.split()).casefold()


def _pairs(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


class _Names:
    """Folded names, bucketed by their first and second letters, for `_close`.

    difflib compares every name it is given: 7 s for 100,000 userPrincipalNames. So above
    `_NARROW_ABOVE` names, the candidates are those that start like the reference: their first
    letter is its first or second, or their second letter is its first (a typo, a swap, or a
    letter added or lost at the start; a wrong first letter is missed), with a length within
    `_LENGTHS`. `_close` then compares the `_COMPARED` sharing the most letter pairs with it.
    """

    def __init__(self) -> None:
        self._all: list[str] = []
        self._by_first: dict[str, list[str]] = {}
        self._by_second: dict[str, list[str]] = {}

    def add(self, name: str) -> None:
        self._all.append(name)
        self._by_first.setdefault(name[:1], []).append(name)
        self._by_second.setdefault(name[1:2], []).append(name)

    def candidates(self, word: str) -> list[str]:
        """The names worth comparing with `word` (folded)."""
        if len(self._all) <= _NARROW_ABOVE:
            return self._all
        buckets = [self._by_first.get(word[:1], []), self._by_second.get(word[:1], [])]
        if word[1:2] != word[:1]:
            buckets.append(self._by_first.get(word[1:2], []))
        size = len(word)
        return [n for bucket in buckets for n in bucket if abs(len(n) - size) <= _LENGTHS]


def _close(word: str, candidates: Sequence[str]) -> list[str]:
    """difflib's close matches of `word` (folded) among `candidates`, best first."""
    unique = list(dict.fromkeys(candidates))
    if len(unique) > _COMPARED:
        pairs = _pairs(word)
        unique = heapq.nlargest(_COMPARED, unique, key=lambda n: len(pairs & _pairs(n)))
    return difflib.get_close_matches(word, unique, n=_SUGGESTIONS, cutoff=_CUTOFF)


class _Suggestions:
    """What an unknown user or group reference probably meant.

    First a reference equal but for case or spacing: an id in another case, a userPrincipalName
    or group name with a stray space, a person's mail given for the userPrincipalName (lookups
    already ignore the case of userPrincipalNames and group names). Then the right name in
    another domain (or with none). Then difflib's close matches (`_Names`): userPrincipalNames
    compared on the part before the `@`, among those of the same domain (or of the closest
    domains, or all when the reference has no domain); group display names. The indexes are
    built on first use, so a run without unknown references pays nothing.
    """

    def __init__(self, directory: Directory) -> None:
        self._directory = directory

    @cached_property
    def _people(self) -> tuple[dict[str, str], dict[str, dict[str, list[str]]], dict[str, _Names]]:
        """(folded id, userPrincipalName or mail -> userPrincipalName,
        domain -> local part -> userPrincipalNames, domain -> local parts), all folded."""
        exact: dict[str, str] = {}
        domains: dict[str, dict[str, list[str]]] = {}
        names: dict[str, _Names] = {}
        for person in self._directory.people:
            upn = person.user_principal_name
            folded = upn.strip().casefold()
            local, _, domain = folded.rpartition("@")
            in_domain = domains.get(domain)
            if in_domain is None:
                in_domain = domains[domain] = {}
                names[domain] = _Names()
            if local not in in_domain:
                in_domain[local] = []
                names[domain].add(local)
            in_domain[local].append(upn)
            exact.setdefault(folded, upn)
            exact.setdefault(person.id.strip().casefold(), upn)
            mail = person.get("mail")
            if isinstance(mail, str):
                exact.setdefault(mail.strip().casefold(), upn)
        return exact, domains, names

    @cached_property
    def _groups(self) -> tuple[dict[str, str], dict[str, list[str]], _Names]:
        """(folded id -> id, folded display name -> the name or, when several, the ids,
        the folded display names)."""
        ids: dict[str, str] = {}
        by_name: dict[str, list[Group]] = {}
        for group in self._directory.groups:
            ids.setdefault(_folded(group.id), group.id)
            by_name.setdefault(_folded(group.display_name), []).append(group)
        names = _Names()
        shown: dict[str, list[str]] = {}
        for name, groups in by_name.items():
            names.add(name)
            shown[name] = [groups[0].display_name] if len(groups) == 1 else [g.id for g in groups]
        return ids, shown, names

    def people(self, ref: str) -> list[str]:
        """userPrincipalNames `ref` may have meant, best first."""
        exact, domains, names = self._people
        folded = ref.strip().casefold()
        if folded in exact:
            return [exact[folded]]
        local, at, domain = folded.rpartition("@")
        if not at:
            local, chosen = folded, list(domains)
        elif domain in domains:
            chosen = [domain]
        else:
            chosen = difflib.get_close_matches(domain, list(domains), n=3) or list(domains)
        same_local = [upn for d in chosen for upn in domains[d].get(local, ())]
        if same_local:
            return same_local[:_SUGGESTIONS]
        candidates = [n for d in chosen for n in names[d].candidates(local)]
        found = [
            upn for n in _close(local, candidates) for d in chosen for upn in domains[d].get(n, ())
        ]
        return found[:_SUGGESTIONS]

    def groups(self, ref: str) -> list[str]:
        """Group names (or ids, for a name several groups share) `ref` may have meant."""
        ids, shown, names = self._groups
        folded = _folded(ref)
        if folded in ids:
            return [ids[folded]]
        if folded in shown:
            return shown[folded][:_SUGGESTIONS]
        found = [shown[n][0] for n in _close(folded, names.candidates(folded))]
        return found[:_SUGGESTIONS]
