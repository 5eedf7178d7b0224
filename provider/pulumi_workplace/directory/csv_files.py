"""Directory from CSV files.

People file: UTF-8 (a BOM is tolerated), comma-separated, RFC 4180 quoting, a header row of
Entra ID attribute names (any case), one person per row. `userPrincipalName` is required; `id`
is optional and defaults to the userPrincipalName; `accountEnabled` is `true` or `false` (any
case, empty = true); `manager` is the manager's id or userPrincipalName. Values are trimmed and
an empty cell means "no value". Blank rows are skipped but counted: row numbers are those a
spreadsheet shows, the header being row 1.

Groups file (optional): header `group,member`, one membership per row; `member` is a person's
userPrincipalName or id, or another group's name (a nested group). A row with an empty member
declares an empty group. The group's name is also its id.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from pulumi_workplace.directory.directory import DEFAULT_MAX_BYTES, Directory
from pulumi_workplace.directory.errors import DirectoryError
from pulumi_workplace.directory.model import UPN, AttributeValue
from pulumi_workplace.directory.source import GroupRecord, PersonRecord, assemble, read_text

_ID = "id"


def load_csv(
    people_path: str | Path,
    groups_path: str | Path | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Directory:
    """Read the people file and the optional groups file; every problem is reported at once."""
    people_name = str(people_path)
    header, people = _read_people(read_text(people_path, max_bytes=max_bytes), people_name)
    groups: list[GroupRecord] = []
    source = people_name
    if groups_path is not None:
        groups_name = str(groups_path)
        groups = _read_groups(read_text(groups_path, max_bytes=max_bytes), groups_name)
        source = f"{people_name}, {groups_name}"
    # The schema is the header: a column left empty on every row is still an attribute. `id` is
    # the person's id, not an attribute (mappings reach it as `objectId`).
    attribute_names = [column for column in header if column.lower() != _ID]
    return assemble(people, groups, source=source, attribute_names=attribute_names)


def _rows(text: str, name: str) -> Iterator[tuple[int, int, list[str]]]:
    """(row number, first line, cells) per record; malformed CSV raises `DirectoryError`."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    row = 0
    while True:
        row += 1
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DirectoryError(_csv_problem(name, row, start, reader.line_num, exc)) from None
        yield row, start, cells


def _csv_problem(name: str, row: int, start: int, line: int, exc: csv.Error) -> str:
    where = f"{name} row {row} (line {start})"
    message = str(exc)
    if "unexpected end of data" in message:
        return f"{where}: unterminated quoted field: a '\"' opened here is never closed"
    if "field larger than field limit" in message:
        return f"{where}: field too long; probably an unterminated quoted field ({message})"
    return f"{where}: malformed CSV at line {line}: {message}"


def _header(cells: list[str], name: str, required: tuple[str, ...]) -> list[str]:
    header = [cell.strip() for cell in cells]
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, column in enumerate(header, start=1):
        if not column:
            problems.append(f"{name} row 1: column {index} has no name")
        elif column.lower() in seen:
            problems.append(
                f"{name} row 1: column {column!r} appears twice (columns {seen[column.lower()]} "
                f"and {index})"
            )
        else:
            seen[column.lower()] = index
    for column in required:
        if column.lower() not in seen:
            hint = ""
            if len(header) == 1 and ";" in header[0]:
                hint = "; the file seems to use ';' as separator, use ','"
            problems.append(f"{name} row 1: missing required column {column!r}{hint}")
    if problems:
        raise DirectoryError(problems, summary=f"{name}: bad header")
    return header


def _read_people(text: str, name: str) -> tuple[list[str], list[PersonRecord]]:
    """The header and the records of the people file."""
    rows = _rows(text, name)
    first = next(rows, None)
    if first is None:
        raise DirectoryError(f"{name}: empty file; expected a header row with {UPN!r}")
    header = _header(first[2], name, (UPN,))
    records: list[PersonRecord] = []
    for row, _start, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        problems: list[str] = []
        if len(cells) != len(header):
            problems.append(f"{len(cells)} fields but the header has {len(header)}")
        person_id: str | None = None
        attributes: dict[str, AttributeValue] = {}
        for column, cell in zip(header, cells, strict=False):
            value = cell.strip()
            if column.lower() == _ID:
                person_id = value or None
            else:
                attributes[column] = value or None
        records.append(PersonRecord(name, f"row {row}", person_id, attributes, problems))
    return header, records


def _read_groups(text: str, name: str) -> list[GroupRecord]:
    rows = _rows(text, name)
    first = next(rows, None)
    if first is None:
        return []
    header = [c.lower() for c in _header(first[2], name, ("group", "member"))]
    group_at, member_at = header.index("group"), header.index("member")
    groups: dict[str, GroupRecord] = {}
    problems: list[str] = []
    for row, _start, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                f"{name} row {row}: {len(cells)} fields but the header has {len(header)}"
            )
            continue
        group, member = cells[group_at].strip(), cells[member_at].strip()
        if not group:
            problems.append(f"{name} row {row}: empty group name")
            continue
        record = groups.setdefault(group, GroupRecord(name, f"row {row}", group, None))
        if member:
            record.members.append((member, f"row {row}"))
    if problems:
        raise DirectoryError(problems, summary=f"{name}: {len(problems)} problem(s)")
    return list(groups.values())
