"""JSON and YAML directories: `groups` as a mapping of group name to members."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pulumi_workplace.directory import Directory, DirectoryError

from .conftest import SAMPLE

PEOPLE = [
    {"id": "u1", "userPrincipalName": "ana@contoso.com"},
    {"id": "u2", "userPrincipalName": "bob@contoso.com"},
    {"userPrincipalName": "carla@contoso.com"},
]

UNKNOWN = "(no person has this userPrincipalName or id, no group has this name)"


def _json(tmp_path: Path, groups: object, people: object = PEOPLE) -> Path:
    path = tmp_path / "directory.json"
    path.write_text(json.dumps({"people": people, "groups": groups}, indent=1), encoding="utf-8")
    return path


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "directory.yaml"
    path.write_text(text, encoding="utf-8")
    return path


YAML_PEOPLE = """\
people:
  - id: u1
    userPrincipalName: ana@contoso.com
  - id: u2
    userPrincipalName: bob@contoso.com
  - userPrincipalName: carla@contoso.com
"""


def _problems(load: Callable[[Path], Directory], path: Path) -> list[str]:
    with pytest.raises(DirectoryError) as caught:
        load(path)
    return list(caught.value.problems)


# -- The shape --------------------------------------------------------------------------------


def test_json_mapping_members_by_upn_id_and_group_name(tmp_path: Path) -> None:
    groups = {
        "Sales": ["ana@contoso.com", "u2", "Platform team"],
        "Platform team": ["CARLA@contoso.com"],
        "Empty": [],
    }
    d = Directory.from_json(_json(tmp_path, groups))
    assert [g.id for g in d.groups] == ["Sales", "Platform team", "Empty"]
    sales = d.group_by_id("Sales")
    assert sales is not None and sales.display_name == "Sales"
    assert sales.member_ids == ("u1", "u2", "Platform team")
    assert d.group_by_id("Platform team").member_ids == ("carla@contoso.com",)  # type: ignore[union-attr]
    assert d.group_by_id("Empty").member_ids == ()  # type: ignore[union-attr]
    assert d.members("Sales", depth=None) == {"u1", "u2", "carla@contoso.com"}
    assert d.find_groups("platform TEAM") == (d.group_by_id("Platform team"),)


def test_yaml_mapping_with_an_empty_group_and_a_cycle(tmp_path: Path) -> None:
    path = _yaml(
        tmp_path,
        YAML_PEOPLE
        + "groups:\n"
        + "  Sales: [ana@contoso.com, Retail]\n"
        + "  Retail:\n"
        + "    - bob@contoso.com\n"
        + "    - Sales\n"
        + "  Nobody:\n",
    )
    d = Directory.from_yaml(path)
    assert d.group_by_id("Sales").member_ids == ("u1", "Retail")  # type: ignore[union-attr]
    assert d.group_by_id("Retail").member_ids == ("u2", "Sales")  # type: ignore[union-attr]
    assert d.group_by_id("Nobody").member_ids == ()  # type: ignore[union-attr]
    assert d.members("Sales", depth=None) == {"u1", "u2"}


def test_both_shapes_give_the_same_directory(tmp_path: Path) -> None:
    listed = [
        {"name": "Sales", "members": ["ana@contoso.com", "Inner"]},
        {"name": "Inner", "members": ["u2"]},
    ]
    mapped = {"Sales": ["ana@contoso.com", "Inner"], "Inner": ["u2"]}
    first = Directory.from_json(_json(tmp_path, listed))
    second = Directory.from_json(_json(tmp_path, mapped))
    assert first == second
    assert first.groups == second.groups


def test_the_sample_with_its_groups_as_a_mapping_is_the_sample(
    tmp_path: Path, sample: Directory
) -> None:
    data = yaml.safe_load((SAMPLE / "directory.yaml").read_text(encoding="utf-8"))
    data["groups"] = {g["name"]: g["members"] for g in data["groups"]}
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert Directory.from_yaml(path) == sample
    (pilot,) = Directory.from_yaml(path).find_groups("Workplace Pilot")
    assert len(sample.members(pilot.id, depth=2)) == 3 + 16


def test_an_empty_mapping_means_no_groups(tmp_path: Path) -> None:
    assert Directory.from_json(_json(tmp_path, {})).groups == ()
    assert Directory.from_yaml(_yaml(tmp_path, YAML_PEOPLE + "groups: {}\n")).groups == ()


def test_a_group_name_naming_two_groups_needs_the_id(tmp_path: Path) -> None:
    groups = {"Sales": ["u1"], "sales": ["u2"], "All": ["SALES"]}
    problems = _problems(Directory.from_json, _json(tmp_path, groups))
    assert problems == [
        f"{tmp_path / 'directory.json'} groups.All[0] (group All): member 'SALES' names 2 "
        "groups; use the group id"
    ]
    # By its id (its exact name) it is fine.
    d = Directory.from_json(_json(tmp_path, {**groups, "All": ["sales"]}))
    assert d.group_by_id("All").member_ids == ("sales",)  # type: ignore[union-attr]


# -- Errors name the file, the place and the group ------------------------------------------


def test_json_unknown_member_names_file_group_and_index(tmp_path: Path) -> None:
    path = _json(tmp_path, {"Sales": ["ana@contoso.com", "x@contoso.com"]})
    assert _problems(Directory.from_json, path) == [
        f"{path} groups.Sales[1] (group Sales): unknown member 'x@contoso.com' {UNKNOWN}"
    ]


def test_yaml_unknown_member_names_file_line_and_group(tmp_path: Path) -> None:
    path = _yaml(
        tmp_path,
        YAML_PEOPLE  # lines 1-6
        + "groups:\n"  # 7
        + "  Sales:\n"  # 8
        + "    - ana@contoso.com\n"  # 9
        + "    - x@contoso.com\n",  # 10
    )
    assert _problems(Directory.from_yaml, path) == [
        f"{path} line 10 (group Sales): unknown member 'x@contoso.com' {UNKNOWN}"
    ]


def test_a_group_given_twice_is_an_error_not_a_silent_loss(tmp_path: Path) -> None:
    path = _yaml(
        tmp_path,
        YAML_PEOPLE + "groups:\n  Sales: [u1]\n  Ops: []\n  Sales: [u2]\n",  # lines 8 and 10
    )
    assert _problems(Directory.from_yaml, path) == [
        f"{path} line 10 (group Sales): group 'Sales' is given twice (first seen in line 8); "
        "list all its members under one name"
    ]
    json_path = tmp_path / "directory.json"
    json_path.write_text(
        '{"people": [{"userPrincipalName": "ana@contoso.com"}],\n'
        ' "groups": {"Sales": [], "Sales": ["ana@contoso.com"]}}\n',
        encoding="utf-8",
    )
    assert _problems(Directory.from_json, json_path) == [
        f"{json_path} groups.Sales (group Sales): group 'Sales' is given twice; "
        "list all its members under one name"
    ]


def test_members_must_be_a_list_of_strings(tmp_path: Path) -> None:
    path = _yaml(
        tmp_path,
        YAML_PEOPLE
        + "groups:\n"  # 7
        + "  Sales: ana@contoso.com\n"  # 8
        + "  Ops: [u1, 12]\n"  # 9
        + "  Odd: {id: g1}\n",  # 10
    )
    assert _problems(Directory.from_yaml, path) == [
        f"{path} line 8 (group Sales): members must be a list of userPrincipalNames, person ids "
        "or group names, not str",
        f"{path} line 9 (group Ops): member 12 must be a string (a userPrincipalName, person id "
        "or group name)",
        f"{path} line 10 (group Odd): members must be a list of userPrincipalNames, person ids "
        "or group names, not dict",
    ]


def test_group_names_must_be_non_empty_strings(tmp_path: Path) -> None:
    # YAML reads an unquoted `yes` or `2024` as a boolean or a number.
    path = _yaml(tmp_path, YAML_PEOPLE + "groups:\n  yes: []\n  2024: [u1]\n  ~: []\n  '': []\n")
    assert _problems(Directory.from_yaml, path) == [
        f"{path} groups: group name True is read as a boolean, not a string; quote it",
        f"{path} groups: group name 2024 is read as a number, not a string; quote it",
        f"{path} groups: group name None is read as null, not a string; quote it",
        f"{path} groups: a group name is empty",
    ]
    assert Directory.from_yaml(
        _yaml(tmp_path, YAML_PEOPLE + "groups:\n  'yes': []\n  '2024': [u1]\n")
    ).group_by_id("2024").member_ids == ("u1",)  # type: ignore[union-attr]


def test_groups_of_another_type_are_refused(tmp_path: Path) -> None:
    path = _json(tmp_path, "Sales")
    assert _problems(Directory.from_json, path) == [
        f"{path}: 'groups' must be a list of groups or a mapping of group name to members"
    ]


def test_a_rejected_person_does_not_cascade_into_mapped_groups(tmp_path: Path) -> None:
    people = [*PEOPLE, {"userPrincipalName": "dan@contoso.com", "accountEnabled": "maybe"}]
    path = _json(tmp_path, {"Sales": ["dan@contoso.com", "ana@contoso.com"]}, people)
    problems = _problems(Directory.from_json, path)
    assert len(problems) == 1 and "accountEnabled must be true or false" in problems[0]


def test_list_shape_errors_are_unchanged(tmp_path: Path) -> None:
    path = _json(tmp_path, [{"name": "Sales", "members": ["nobody"]}])
    lines = path.read_text(encoding="utf-8").splitlines()
    # The list shape keeps its positions: the line where the group's object starts.
    line = next(n for n, text in enumerate(lines, start=1) if '"name": "Sales"' in text) - 1
    assert _problems(Directory.from_json, path) == [
        f"{path} line {line} (group Sales): unknown member 'nobody' {UNKNOWN}"
    ]
