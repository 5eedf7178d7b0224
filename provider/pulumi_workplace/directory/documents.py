"""Directory from a JSON or YAML document.

Shape (YAML is the same, written as YAML)::

    {
      "people": [
        {"id": "optional, defaults to userPrincipalName",
         "userPrincipalName": "ana@contoso.com", "mail": "ana@contoso.com",
         "accountEnabled": true, "manager": "bob@contoso.com", ...}
      ],
      "groups": [
        {"name": "Engineering", "id": "optional, defaults to name",
         "members": ["ana@contoso.com", "Platform team"]}
      ]
    }

`groups` may also be a mapping of group name to members, the name being the group's id::

    "groups": {"Engineering": ["ana@contoso.com", "Platform team"], "Platform team": []}

Person keys other than `id` are Entra ID attribute names (any case). Values are strings,
booleans, integers or null; YAML dates become ISO 8601 strings. Group members are a person's
userPrincipalName or id, or a group's id or name. Problems name the file and line (YAML) or
the place in the document (`groups.Sales[2]`, JSON).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import json.decoder
import json.scanner
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from pulumi_workplace.directory.directory import DEFAULT_MAX_BYTES, Directory
from pulumi_workplace.directory.errors import DirectoryError
from pulumi_workplace.directory.model import AttributeValue
from pulumi_workplace.directory.source import GroupRecord, PersonRecord, assemble, read_text

_TOP_KEYS = ("people", "groups")
_GROUP_KEYS = ("name", "id", "members")

Position = Callable[[str, int], str]
"""(list name, index) -> where the item is, e.g. `line 12`."""

GroupPosition = Callable[[str, int | None], str]
"""(group name, member index or None for the group) -> where, in a `groups` mapping."""


def _mapping_position(group: str, index: int | None) -> str:
    return f"groups.{group}" if index is None else f"groups.{group}[{index}]"


class _Object(dict[str, Any]):
    """A parsed JSON object that remembers duplicate keys and where it starts."""

    duplicates: tuple[str, ...] = ()
    line: int = 0


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    result = _Object()
    dupes: list[str] = []
    for key, value in pairs:
        if key in result:
            dupes.append(key)
        result[key] = value
    result.duplicates = tuple(dupes)
    return result


def load_json(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Directory:
    """Read a JSON directory document."""
    name = str(path)
    text = read_text(path, max_bytes=max_bytes)
    try:
        data = json.loads(text, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise DirectoryError(
            f"{name} line {exc.lineno} column {exc.colno}: JSON syntax error: {exc.msg}"
        ) from None
    try:
        return _build(data, name, lambda key, index: f"{key}[{index}]")
    except DirectoryError:
        # Positions are only worth a second, slower parse when something is wrong.
        located = _parse_located(text)
        return _build(located, name, lambda key, index: f"line {located[key][index].line}")


def _parse_located(text: str) -> Any:
    """Parse again with the pure-Python scanner, recording each object's first line."""
    starts = [0, *(i + 1 for i, char in enumerate(text) if char == "\n")]
    decoder = json.JSONDecoder(object_pairs_hook=_pairs)
    # Neither is in typeshed: the pure-Python object parser and scanner of the json module.
    parse_object = getattr(json.decoder, "JSONObject")  # noqa: B009
    make_scanner = getattr(json.scanner, "py_make_scanner")  # noqa: B009

    def located(state: tuple[str, int], *args: Any) -> tuple[_Object, int]:
        obj, end = parse_object(state, *args)
        obj.line = bisect.bisect_right(starts, state[1] - 1)
        return obj, end

    # The C scanner ignores `parse_object`; the pure-Python one calls it for every object.
    vars(decoder)["parse_object"] = located
    vars(decoder)["scan_once"] = make_scanner(decoder)
    return decoder.decode(text)


def load_yaml(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Directory:
    """Read a YAML directory document (safe loader: no tags, no code)."""
    name = str(path)
    text = read_text(path, max_bytes=max_bytes)
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise DirectoryError(_yaml_problem(name, exc)) from None
    except yaml.YAMLError as exc:
        raise DirectoryError(f"{name}: YAML error: {exc}") from None
    finally:
        loader.dispose()
    lines = _yaml_item_lines(node)
    duplicates = _yaml_duplicates(node)
    group_lines, group_duplicates = _yaml_group_mapping(node)

    def position(key: str, index: int) -> str:
        line = lines.get((key, index))
        return f"line {line}" if line else f"{key}[{index}]"

    def group_position(group: str, index: int | None) -> str:
        line = group_lines.get((group, index))
        return f"line {line}" if line else _mapping_position(group, index)

    return _build(
        data, name, position, duplicates, group_position, group_duplicates=group_duplicates
    )


def _yaml_problem(name: str, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{name} line {mark.line + 1} column {mark.column + 1}" if mark else name
    problem = exc.problem or str(exc)
    hint = "; YAML does not allow tabs for indentation" if "tab" in problem else ""
    context = f" ({exc.context})" if exc.context else ""
    return f"{where}: YAML syntax error: {problem}{context}{hint}"


def _top_items(node: yaml.Node | None) -> dict[str, list[yaml.Node]]:
    items: dict[str, list[yaml.Node]] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(value, yaml.SequenceNode) and key.value in _TOP_KEYS:
                items[str(key.value)] = list(value.value)
    return items


def _yaml_item_lines(node: yaml.Node | None) -> dict[tuple[str, int], int]:
    return {
        (key, index): item.start_mark.line + 1
        for key, items in _top_items(node).items()
        for index, item in enumerate(items)
    }


def _yaml_group_mapping(
    node: yaml.Node | None,
) -> tuple[dict[tuple[str, int | None], int], dict[str, str | None]]:
    """Lines of a `groups` mapping's groups and members; group names given twice -> first line.

    Where a name is given twice the last one counts, as it does in the parsed document.
    """
    lines: dict[tuple[str, int | None], int] = {}
    first: dict[str, int] = {}
    twice: dict[str, str | None] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines, twice
    for top, value in node.value:
        if top.value != "groups" or not isinstance(value, yaml.MappingNode):
            continue
        for key, members in value.value:
            group = str(key.value)
            line = key.start_mark.line + 1
            if group in first:
                twice.setdefault(group, f"line {first[group]}")
            first.setdefault(group, line)
            lines[(group, None)] = line
            if isinstance(members, yaml.SequenceNode):
                for index, item in enumerate(members.value):
                    lines[(group, index)] = item.start_mark.line + 1
    return lines, twice


def _yaml_duplicates(node: yaml.Node | None) -> dict[tuple[str, int], tuple[str, ...]]:
    found: dict[tuple[str, int], tuple[str, ...]] = {}
    for key, items in _top_items(node).items():
        for index, item in enumerate(items):
            if not isinstance(item, yaml.MappingNode):
                continue
            names = [str(k.value) for k, _ in item.value]
            dupes = tuple(n for i, n in enumerate(names) if n in names[:i])
            if dupes:
                found[(key, index)] = dupes
    return found


def _build(
    data: Any,
    name: str,
    position: Position,
    duplicates: dict[tuple[str, int], tuple[str, ...]] | None = None,
    group_position: GroupPosition = _mapping_position,
    *,
    group_duplicates: dict[str, str | None] | None = None,
) -> Directory:
    if not isinstance(data, dict):
        raise DirectoryError(
            f"{name}: expected a mapping with 'people' (and optionally 'groups') at the top"
        )
    problems: list[str] = []
    unknown = [key for key in data if key not in _TOP_KEYS]
    if unknown:
        problems.append(f"{name}: unknown top-level key(s) {', '.join(map(repr, unknown))}")
    people_data = data.get("people")
    if not isinstance(people_data, list):
        raise DirectoryError([*problems, f"{name}: 'people' must be a list of people"])
    groups_data = data.get("groups") or []
    if not isinstance(groups_data, list | dict):
        problems.append(
            f"{name}: 'groups' must be a list of groups or a mapping of group name to members"
        )
        groups_data = []
    dupes = duplicates or {}
    people: list[PersonRecord] = []
    for index, item in enumerate(people_data):
        where = position("people", index)
        if not isinstance(item, dict):
            problems.append(f"{name} {where}: a person must be a mapping of attributes")
            continue
        found = dupes.get(("people", index), getattr(item, "duplicates", ()))
        record = _person(item, name, where)
        record.problems[:0] = [f"key {key!r} is given twice" for key in found]
        people.append(record)
    if isinstance(groups_data, dict):
        twice = group_duplicates
        if twice is None:
            twice = dict.fromkeys(getattr(groups_data, "duplicates", ()))
        groups = _mapped_groups(groups_data, name, group_position, twice, problems)
    else:
        groups = [
            group
            for index, item in enumerate(groups_data)
            if (group := _group(item, name, position("groups", index), problems)) is not None
        ]
    return assemble(people, groups, source=name, problems=problems)


def _person(item: dict[Any, Any], name: str, where: str) -> PersonRecord:
    problems: list[str] = []
    person_id: str | None = None
    attributes: dict[str, AttributeValue] = {}
    for key, raw in item.items():
        if not isinstance(key, str):
            problems.append(f"attribute name {key!r} must be a string")
            continue
        value, problem = _value(raw)
        if problem:
            problems.append(f"attribute {key!r}: {problem}")
        elif key == "id":
            person_id = None if value is None else str(value)
        else:
            attributes[key] = value
    return PersonRecord(name, where, person_id, attributes, problems)


def _value(raw: Any) -> tuple[AttributeValue, str | None]:
    if raw is None or isinstance(raw, bool | int):
        return raw, None
    if isinstance(raw, str):
        return raw.strip() or None, None
    if isinstance(raw, dt.date):
        # YAML turns unquoted dates into date objects; Entra ID gives ISO 8601 strings.
        return raw.isoformat(), None
    kind = type(raw).__name__
    return None, f"must be a string, boolean, integer or null, not {kind} ({raw!r})"


def _group(item: Any, name: str, where: str, problems: list[str]) -> GroupRecord | None:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
        problems.append(f"{name} {where}: a group needs a 'name' (and optional 'id', 'members')")
        return None
    label = f"{name} {where} (group {item['name']})"
    unknown = [key for key in item if key not in _GROUP_KEYS]
    if unknown:
        problems.append(f"{label}: unknown key(s) {', '.join(map(repr, unknown))}")
    members = item.get("members") or []
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        problems.append(f"{label}: 'members' must be a list of strings")
        members = []
    group_id = item.get("id")
    return GroupRecord(
        name,
        where,
        item["name"],
        str(group_id) if group_id is not None else None,
        [(member, where) for member in members],
    )


def _mapped_groups(
    data: dict[Any, Any],
    name: str,
    position: GroupPosition,
    duplicates: dict[str, str | None],
    problems: list[str],
) -> list[GroupRecord]:
    """Groups from the `{group name: [members]}` shape; the name is also the group's id.

    `duplicates`: group names given twice -> where first (when known).
    """
    for group, first in duplicates.items():
        # JSON and YAML parsers keep the last one silently: the first one's members would be lost.
        seen = f" (first seen in {first})" if first else ""
        problems.append(
            f"{name} {position(group, None)} (group {group}): group {group!r} is given twice"
            f"{seen}; list all its members under one name"
        )
    records: list[GroupRecord] = []
    for group, members in data.items():
        if not isinstance(group, str):
            # YAML reads unquoted `yes`, `no`, `2024`, `~` as a boolean, a number, null.
            kind = (
                "a boolean"
                if isinstance(group, bool)
                else "a number"
                if isinstance(group, int | float)
                else "null"
                if group is None
                else type(group).__name__
            )
            problems.append(
                f"{name} groups: group name {group!r} is read as {kind}, not a string; quote it"
            )
            continue
        if not group.strip():
            problems.append(f"{name} groups: a group name is empty")
            continue
        where = position(group, None)
        record = GroupRecord(name, where, group, None)
        records.append(record)
        if members is None:
            continue  # `Sales:` with nothing after it: an empty group
        if not isinstance(members, list):
            problems.append(
                f"{name} {where} (group {group}): members must be a list of userPrincipalNames, "
                f"person ids or group names, not {type(members).__name__}"
            )
            continue
        for index, member in enumerate(members):
            at = position(group, index)
            if isinstance(member, str):
                record.members.append((member, at))
            else:
                problems.append(
                    f"{name} {at} (group {group}): member {member!r} must be a string "
                    "(a userPrincipalName, person id or group name)"
                )
    return records
