"""Shared by the file loaders: reading a file safely and turning records into a `Directory`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from pulumi_workplace.directory.directory import Directory
from pulumi_workplace.directory.errors import DirectoryError
from pulumi_workplace.directory.model import (
    ACCOUNT_ENABLED,
    MANAGER,
    UPN,
    AttributeValue,
    Group,
    Person,
    parse_bool,
)

_ATOM = r"[\w!#$%&'*+/=?^`{|}~-]+"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
# Only the identity is checked on load. Other attributes (`mail`) are checked where they are
# used, for people in scope (the account's values, at preview): one bad row of someone outside
# the scope must not stop the run for everyone.
_EMAIL_ATTRIBUTES = ("userPrincipalName",)


def is_email(value: str) -> bool:
    """Whether `value` looks like an e-mail address (RFC 5322 dot-atom, internationalised)."""
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


def read_text(path: str | Path, *, max_bytes: int) -> str:
    """The file as text: UTF-8, a leading BOM dropped; errors name the file and byte offset."""
    name = str(path)
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise DirectoryError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if size > max_bytes:
        raise DirectoryError(
            f"{name}: file is too large ({size:,} bytes; the limit is {max_bytes:,} bytes, "
            "set max_bytes to raise it)"
        )
    data = file.read_bytes()
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + bom
        line = data.count(b"\n", 0, offset) + 1
        raise DirectoryError(
            f"{name}: not UTF-8: byte 0x{data[offset]:02x} at byte offset {offset} (line {line}); "
            "save the file as UTF-8"
        ) from None


@dataclass
class PersonRecord:
    """One person as read from a file, before checks."""

    file: str
    position: str
    """Where in the file, e.g. `row 14` or `line 57`."""
    person_id: str | None
    attributes: dict[str, AttributeValue]
    problems: list[str] = field(default_factory=list)
    """Problems the reader already found (shape errors), reported with the record's label."""


@dataclass
class GroupRecord:
    """One group as read from a file: members are references to resolve."""

    file: str
    position: str
    name: str
    group_id: str | None
    members: list[tuple[str, str]] = field(default_factory=list)
    """(reference, position of the reference) pairs."""


def _get(attributes: dict[str, AttributeValue], name: str) -> AttributeValue:
    lowered = name.lower()
    return next((v for k, v in attributes.items() if k.lower() == lowered), None)


def _record_problems(attributes: dict[str, AttributeValue]) -> list[str]:
    problems: list[str] = []
    upn = _get(attributes, UPN)
    if upn is None or (isinstance(upn, str) and not upn.strip()):
        problems.append(f"missing {UPN}")
    for name in _EMAIL_ATTRIBUTES:
        value = _get(attributes, name)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or not is_email(value):
            problems.append(f"{name} {value!r} is not a valid e-mail address")
    try:
        parse_bool(_get(attributes, ACCOUNT_ENABLED))
    except ValueError as exc:
        problems.append(str(exc))
    return problems


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())


def assemble(
    people: list[PersonRecord],
    groups: list[GroupRecord],
    *,
    source: str,
    problems: list[str] | None = None,
    attribute_names: Iterable[str] | None = None,
) -> Directory:
    """Check the records and build the `Directory`; `problems` are ones the reader found.

    `attribute_names` is the schema the file declares (a CSV header); by default the union of
    the records' attribute names, empty values included. Every problem is reported at once in
    one `DirectoryError`.
    """
    problems = list(problems or ())
    accepted: list[tuple[PersonRecord, Person]] = []
    by_id: dict[str, PersonRecord] = {}
    by_upn: dict[str, PersonRecord] = {}
    # Ids and names of rejected records still count as known, so one bad row does not
    # also make every group membership and manager reference to it fail.
    known_refs: set[str] = set()
    for record in people:
        upn = _get(record.attributes, UPN)
        shown = upn if isinstance(upn, str) and upn.strip() else record.person_id or "?"
        label = f"{record.file} {record.position} ({shown})"
        found = [*record.problems, *_record_problems(record.attributes)]
        person_id = record.person_id or (upn if isinstance(upn, str) else None)
        if isinstance(upn, str) and upn.strip():
            known_refs.add(upn.lower())
            first = by_upn.setdefault(upn.lower(), record)
            if first is not record:
                found.append(f"duplicate {UPN} (first seen in {first.position})")
        if record.person_id:
            # Without an id column the id is the userPrincipalName, checked just above.
            known_refs.add(record.person_id.lower())
            first = by_id.setdefault(record.person_id, record)
            if first is not record:
                found.append(f"duplicate id {record.person_id!r} (first seen in {first.position})")
        if not found and person_id:
            try:
                # Empty cells and nulls are absent values: every format gives the same Person.
                values: dict[str, AttributeValue] = {
                    k: v for k, v in record.attributes.items() if v is not None
                }
                accepted.append((record, Person(id=person_id, attributes=values)))
            except ValidationError as exc:
                found.append(_validation_message(exc))
        problems.extend(f"{label}: {p}" for p in found)

    for record in people:
        ref = _get(record.attributes, MANAGER)
        if isinstance(ref, str) and ref.strip() and ref.lower() not in known_refs:
            upn = _get(record.attributes, UPN) or record.person_id or "?"
            problems.append(
                f"{record.file} {record.position} ({upn}): {MANAGER} {ref!r} is not in the "
                f"directory (no person has this id or {UPN})"
            )

    person_ids: dict[str, str] = {}
    for _, person in accepted:
        person_ids[person.user_principal_name.lower()] = person.id
    for _, person in accepted:
        person_ids[person.id] = person.id  # an id wins over a userPrincipalName
    built_groups = _resolve_groups(groups, person_ids, known_refs, problems)
    if problems:
        raise DirectoryError(problems, summary=f"{source}: {len(problems)} problem(s)")
    if attribute_names is None:
        names: set[str] = set()
        for record in people:
            names.update(record.attributes)
        attribute_names = names
    return Directory(
        [person for _, person in accepted],
        built_groups,
        source=source,
        attribute_names=attribute_names,
    )


def _resolve_groups(
    groups: list[GroupRecord],
    person_ids: dict[str, str],
    known_refs: set[str],
    problems: list[str],
) -> list[Group]:
    by_id: dict[str, GroupRecord] = {}
    by_name: dict[str, list[GroupRecord]] = {}
    for record in groups:
        gid = record.group_id or record.name
        if gid in by_id:
            problems.append(
                f"{record.file} {record.position} (group {record.name}): duplicate group id "
                f"{gid!r} (first seen in {by_id[gid].position})"
            )
            continue
        by_id[gid] = record
        by_name.setdefault(record.name.lower(), []).append(record)
    built: list[Group] = []
    for gid, record in by_id.items():
        member_ids: list[str] = []
        for ref, position in record.members:
            member, problem = _resolve_member(ref, person_ids, by_id, by_name)
            if member is None:
                if ref.lower() not in known_refs:
                    problems.append(f"{record.file} {position} (group {record.name}): {problem}")
            elif member not in member_ids:
                member_ids.append(member)
        built.append(Group(id=gid, display_name=record.name, member_ids=tuple(member_ids)))
    return built


def _resolve_member(
    ref: str,
    person_ids: dict[str, str],
    by_id: dict[str, GroupRecord],
    by_name: dict[str, list[GroupRecord]],
) -> tuple[str | None, str]:
    """(the member's id, "") or (None, the problem): a person first, then a group."""
    person = person_ids.get(ref) or person_ids.get(ref.lower())
    if person is not None:
        return person, ""
    if ref in by_id:
        return ref, ""
    named = by_name.get(ref.lower(), [])
    if len(named) == 1:
        return named[0].group_id or named[0].name, ""
    if len(named) > 1:
        return None, f"member {ref!r} names {len(named)} groups; use the group id"
    return None, f"unknown member {ref!r} (no person has this {UPN} or id, no group has this name)"
