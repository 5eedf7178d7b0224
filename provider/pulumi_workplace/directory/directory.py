"""The `Directory`: people and groups with the lookups the rest of the mission logic needs."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pulumi_workplace.directory.errors import DirectoryError
from pulumi_workplace.directory.model import Group, Person

if TYPE_CHECKING:
    import httpx

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
"""Largest directory file read (200 MB); loaders take `max_bytes` to change it."""


class Directory:
    """People by id and by userPrincipalName (case-insensitive), groups by id and by name.

    The constructor checks consistency: unique ids and userPrincipalNames, managers and group
    members that exist. File loaders check the same earlier, naming the row at fault.

    `attribute_names` is the directory's schema: the source attribute names it offers, as the
    loader knows them (a CSV header, the keys of JSON/YAML records, what Microsoft Graph is asked
    for), in their original case. It defaults to the union of the people's attribute names.
    """

    def __init__(
        self,
        people: Iterable[Person] = (),
        groups: Iterable[Group] = (),
        *,
        source: str = "",
        attribute_names: Iterable[str] | None = None,
    ) -> None:
        self.source = source or "directory"
        self._people: dict[str, Person] = {}
        self._by_upn: dict[str, Person] = {}
        self._groups: dict[str, Group] = {}
        self._groups_by_name: dict[str, list[Group]] = {}
        problems: list[str] = []
        for person in people:
            label = f"{self.source}: person {person.user_principal_name} (id {person.id})"
            upn = person.user_principal_name.lower()
            if person.id in self._people:
                problems.append(f"{label}: duplicate id")
            elif upn in self._by_upn:
                first = self._by_upn[upn]
                problems.append(
                    f"{label}: duplicate userPrincipalName (first seen on id {first.id})"
                )
            else:
                self._people[person.id] = person
                self._by_upn[upn] = person
        for group in groups:
            if group.id in self._groups or group.id in self._people:
                problems.append(
                    f"{self.source}: group {group.display_name}: duplicate id {group.id}"
                )
                continue
            self._groups[group.id] = group
            self._groups_by_name.setdefault(group.display_name.lower(), []).append(group)
        for person in self._people.values():
            ref = person.manager_ref
            if ref is not None and self.get_person(ref) is None:
                problems.append(
                    f"{self.source}: person {person.user_principal_name}: manager {ref!r} "
                    "is not in the directory"
                )
        for group in self._groups.values():
            for member in group.member_ids:
                if member not in self._people and member not in self._groups:
                    problems.append(
                        f"{self.source}: group {group.display_name}: unknown member {member!r}"
                    )
        if problems:
            raise DirectoryError(problems, summary=f"{self.source}: {len(problems)} problem(s)")
        if isinstance(attribute_names, str):
            raise TypeError("attribute_names is a collection of names, not one string")
        if attribute_names is None:
            names: set[str] = set()
            for person in self._people.values():
                names.update(person.attributes)
            attribute_names = names
        self._attribute_names = frozenset(attribute_names)
        # Lower case -> one original spelling (the smallest, so the choice does not depend on
        # set order) for case-insensitive "did you mean" lookups.
        by_lower: dict[str, str] = {}
        for name in sorted(self._attribute_names):
            by_lower.setdefault(name.lower(), name)
        self._attributes_by_lower = by_lower

    # Loaders live in their own modules; these are the documented entry points.

    @classmethod
    def from_csv(
        cls,
        people_path: str | Path,
        groups_path: str | Path | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> Directory:
        """Load people (and optionally groups) from CSV files; see `directory.csv_files`."""
        from pulumi_workplace.directory.csv_files import load_csv

        return load_csv(people_path, groups_path, max_bytes=max_bytes)

    @classmethod
    def from_json(cls, path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Directory:
        """Load a `{"people": [...], "groups": [...]}` JSON document."""
        from pulumi_workplace.directory.documents import load_json

        return load_json(path, max_bytes=max_bytes)

    @classmethod
    def from_yaml(cls, path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Directory:
        """Load the YAML form of the JSON document."""
        from pulumi_workplace.directory.documents import load_yaml

        return load_yaml(path, max_bytes=max_bytes)

    @classmethod
    def from_graph(
        cls,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        *,
        group_ids: Sequence[str] | None = None,
        transport: httpx.BaseTransport | None = None,
        authority: str = "https://login.microsoftonline.com",
        graph: str = "https://graph.microsoft.com/v1.0",
        page_size: int = 999,
        max_retries: int = 5,
        timeout: float = 30.0,
        sleep: Callable[[float], None] | None = None,
    ) -> Directory:
        """Read users (with managers) and groups from Microsoft Graph; see `directory.graph`."""
        from pulumi_workplace.directory.graph import load_graph

        return load_graph(
            tenant_id,
            client_id,
            client_secret,
            group_ids=group_ids,
            transport=transport,
            authority=authority,
            graph=graph,
            page_size=page_size,
            max_retries=max_retries,
            timeout=timeout,
            sleep=sleep,
        )

    # Lookups

    @property
    def attribute_names(self) -> frozenset[str]:
        """The source attribute names the directory offers, in their original case.

        Compare them case-insensitively, as attribute lookups do (`Person.get`).
        """
        return self._attribute_names

    def closest_attributes(self, name: str, n: int = 3) -> list[str]:
        """Up to `n` attribute names close to `name`, best first, for "did you mean" messages.

        Compared case-insensitively (difflib), returned in the directory's spelling; a name the
        directory has in another case comes first.
        """
        if n <= 0:
            return []
        matches = difflib.get_close_matches(name.lower(), self._attributes_by_lower, n=n)
        return [self._attributes_by_lower[match] for match in matches]

    @property
    def people(self) -> tuple[Person, ...]:
        """Everyone, in source order."""
        return tuple(self._people.values())

    @property
    def groups(self) -> tuple[Group, ...]:
        """Every group, in source order."""
        return tuple(self._groups.values())

    def person_by_id(self, person_id: str) -> Person | None:
        """The person with this object id."""
        return self._people.get(person_id)

    def person_by_upn(self, upn: str) -> Person | None:
        """The person with this userPrincipalName (any case)."""
        return self._by_upn.get(upn.lower())

    def get_person(self, ref: str) -> Person | None:
        """The person an id or a userPrincipalName names; the id wins."""
        return self._people.get(ref) or self._by_upn.get(ref.lower())

    def group_by_id(self, group_id: str) -> Group | None:
        """The group with this id."""
        return self._groups.get(group_id)

    def find_groups(self, ref: str) -> tuple[Group, ...]:
        """The group with id `ref`, else every group named `ref` (any case); may be several."""
        by_id = self._groups.get(ref)
        if by_id is not None:
            return (by_id,)
        return tuple(self._groups_by_name.get(ref.lower(), ()))

    def manager_of(self, person: Person) -> Person | None:
        """The person's manager, when the reference names someone in the directory."""
        ref = person.manager_ref
        return None if ref is None else self.get_person(ref)

    def members(self, group_id: str, *, depth: int | None = 1) -> frozenset[str]:
        """Person ids reached from a group: direct members at depth 1, None = no limit.

        Cycle-safe: a group already visited is not expanded again.
        """
        found: set[str] = set()
        seen = {group_id}
        frontier = [group_id]
        level = 0
        while frontier and (depth is None or level < depth):
            level += 1
            next_frontier: list[str] = []
            for gid in frontier:
                group = self._groups.get(gid)
                for member in group.member_ids if group else ():
                    if member in self._people:
                        found.add(member)
                    elif member in self._groups and member not in seen:
                        seen.add(member)
                        next_frontier.append(member)
            frontier = next_frontier
        return frozenset(found)

    def __len__(self) -> int:
        return len(self._people)

    def __iter__(self) -> Iterator[Person]:
        return iter(self._people.values())

    def __contains__(self, ref: object) -> bool:
        return isinstance(ref, str) and self.get_person(ref) is not None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Directory):
            return NotImplemented
        return self.people == other.people and self.groups == other.groups

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Directory({self.source!r}, {len(self._people)} people, {len(self._groups)} groups)"
