"""Directory files: the sample in CSV, YAML and JSON forms, and loader behaviour."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulumi_workplace.directory import Directory, DirectoryError
from pulumi_workplace.directory.errors import MAX_LINES

from .conftest import SAMPLE


def test_sample_has_fifty_people_four_groups_and_managers(sample: Directory) -> None:
    assert len(sample) == 50
    assert {g.display_name for g in sample.groups} == {
        "Engineering",
        "Sales & Marketing",
        "Operations",
        "Workplace Pilot",
    }
    departments = {p.get("department") for p in sample}
    assert departments == {"Executive", "Engineering", "Sales", "Marketing", "Operations"}
    disabled = sorted(p.user_principal_name for p in sample if not p.account_enabled)
    assert disabled == [
        "ahmed.hassan@contoso.com",
        "henrik.nielsen@contoso.com",
        "rafael.gonzalez@contoso.com",
    ]
    without_mail = [p.user_principal_name for p in sample if not p.has("mail")]
    assert without_mail == ["kofi.mensah@contoso.com"]
    ceo = sample.person_by_upn("amara.okafor@contoso.com")
    assert ceo is not None and ceo.manager_ref is None
    managed = [p for p in sample if p.manager_ref]
    assert len(managed) == 49
    assert all(sample.manager_of(p) is not None for p in managed)


def test_sample_keeps_accents_and_apostrophes(sample: Directory) -> None:
    siobhan = sample.person_by_upn("siobhan.oconnor@contoso.com")
    assert siobhan is not None
    assert siobhan.get("givenName") == "Siobhán"
    assert siobhan.get("surname") == "O'Connor"
    assert siobhan.get("mail") == "siobhan.o'connor@contoso.com"
    assert sample.person_by_upn("zoe.muller@contoso.com").get("displayName") == "Zoë Müller"  # type: ignore[union-attr]


def test_sample_csv_and_yaml_are_the_same_directory(sample: Directory) -> None:
    assert Directory.from_yaml(SAMPLE / "directory.yaml") == sample


def test_nested_group_of_the_sample(sample: Directory) -> None:
    (pilot,) = sample.find_groups("Workplace Pilot")
    assert len(sample.members(pilot.id)) == 3
    assert len(sample.members(pilot.id, depth=2)) == 3 + 16


def test_json_form_with_ids_and_group_ids(tmp_path: Path) -> None:
    path = tmp_path / "directory.json"
    path.write_text(
        json.dumps(
            {
                "people": [
                    {"id": "u1", "userPrincipalName": "ana@contoso.com", "accountEnabled": False},
                    {"id": "u2", "userPrincipalName": "bob@contoso.com", "manager": "u1"},
                ],
                "groups": [
                    {"id": "g1", "name": "Sales", "members": ["ana@contoso.com", "u2", "Inner"]},
                    {"id": "g2", "name": "Inner", "members": []},
                ],
            }
        ),
        encoding="utf-8",
    )
    d = Directory.from_json(path)
    assert d.person_by_id("u1").account_enabled is False  # type: ignore[union-attr]
    assert d.group_by_id("g1").member_ids == ("u1", "u2", "g2")  # type: ignore[union-attr]
    assert d.manager_of(d.person_by_id("u2")).id == "u1"  # type: ignore[arg-type, union-attr]


def test_csv_defaults_id_to_upn_skips_blank_rows_and_trims(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "\ufeffUserPrincipalName , Department,accountEnabled\n"
        " ana@contoso.com , Sales ,\n"
        "\n"
        ",,\n"
        "bob@contoso.com,,FALSE\n",
        encoding="utf-8",
    )
    d = Directory.from_csv(path)
    ana = d.person_by_id("ana@contoso.com")
    assert ana is not None and ana.get("department") == "Sales"
    assert ana.account_enabled is True
    assert d.person_by_id("bob@contoso.com").account_enabled is False  # type: ignore[union-attr]
    assert "Department" in ana.attributes and "department" not in ana.attributes


def test_quoted_multiline_values_keep_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "userPrincipalName,streetAddress,accountEnabled\n"
        'ana@contoso.com,"1 Main St\nFloor 2",true\n'
        "bob@contoso.com,,perhaps\n",
        encoding="utf-8",
    )
    with pytest.raises(DirectoryError, match=r"people.csv row 3 \(bob@contoso.com\)"):
        Directory.from_csv(path)


def test_problems_of_one_file_are_reported_together_and_capped(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    rows = "".join(f"user{i}@contoso.com,maybe\n" for i in range(MAX_LINES + 10))
    path.write_text("userPrincipalName,accountEnabled\n" + rows, encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        Directory.from_csv(path)
    assert len(caught.value.problems) == MAX_LINES + 10
    message = str(caught.value)
    assert f"{MAX_LINES + 10} problem(s)" in message
    assert f"... and 10 more ({MAX_LINES + 10} in total)" in message
    assert message.count("\n") == MAX_LINES + 1


def test_missing_file_is_a_directory_error(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match=r"nope\.csv: cannot read"):
        Directory.from_csv(tmp_path / "nope.csv")


def test_yaml_dates_become_iso_strings(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(
        "people:\n  - userPrincipalName: ana@contoso.com\n    employeeHireDate: 2021-03-01\n",
        encoding="utf-8",
    )
    ana = Directory.from_yaml(path).person_by_upn("ana@contoso.com")
    assert ana is not None and ana.get("employeeHireDate") == "2021-03-01"


def test_one_bad_person_does_not_cascade_into_its_references(tmp_path: Path) -> None:
    # Bob's row is rejected, but Carla's manager and the group still name him correctly.
    people = tmp_path / "people.csv"
    people.write_text(
        "userPrincipalName,accountEnabled,manager\n"
        "bob@contoso.com,nope,\n"
        "carla@contoso.com,true,bob@contoso.com\n",
        encoding="utf-8",
    )
    groups = tmp_path / "groups.csv"
    groups.write_text("group,member\nSales,bob@contoso.com\n", encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        Directory.from_csv(people, groups)
    assert len(caught.value.problems) == 1
