"""The directory's schema: the source attribute names each loader offers, and "did you mean"."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import httpx
import pytest
import yaml

from pulumi_workplace.directory import Directory, Person
from pulumi_workplace.directory.graph import SOURCE_ATTRIBUTES, USER_SELECT

from .conftest import SAMPLE, person
from .test_directory_graph import FakeGraph, _load

# -- Built from Person objects ----------------------------------------------------------------


def test_default_is_the_union_of_the_peoples_attribute_names() -> None:
    d = Directory(
        [
            person("ana@contoso.com", department="Sales", Mobile="1"),
            person("bob@contoso.com", jobTitle="Engineer"),
        ]
    )
    assert d.attribute_names == frozenset({"userPrincipalName", "department", "Mobile", "jobTitle"})
    assert Directory().attribute_names == frozenset()


def test_given_names_are_kept_as_given() -> None:
    d = Directory([person("ana@contoso.com")], attribute_names=["userPrincipalName", "CostCenter"])
    assert d.attribute_names == frozenset({"userPrincipalName", "CostCenter"})
    assert isinstance(d.attribute_names, frozenset)
    with pytest.raises(TypeError, match="not one string"):
        Directory(attribute_names="department")


def test_the_schema_is_not_part_of_equality() -> None:
    people = [person("ana@contoso.com")]
    assert Directory(people) == Directory(people, attribute_names=["userPrincipalName", "mail"])


# -- closest_attributes -------------------------------------------------------------------------


@pytest.fixture
def schema() -> Directory:
    names = [
        "userPrincipalName",
        "department",
        "displayName",
        "givenName",
        "surname",
        "mail",
        "mailNickname",
        "extensionAttribute1",
        "extensionAttribute2",
        "extensionAttribute12",
        "physicalDeliveryOfficeName",
    ]
    return Directory([person("ana@contoso.com")], attribute_names=names)


def test_close_matches_are_case_insensitive_and_in_the_directorys_spelling(
    schema: Directory,
) -> None:
    assert schema.closest_attributes("departmnet") == ["department"]
    assert schema.closest_attributes("DEPARTMENT") == ["department"]
    assert schema.closest_attributes("GivenNames") == ["givenName"]
    assert schema.closest_attributes("physicalDeliveryOffice") == ["physicalDeliveryOfficeName"]
    assert schema.closest_attributes("userprincipalname", n=1) == ["userPrincipalName"]


def test_best_match_first_at_most_n(schema: Directory) -> None:
    found = schema.closest_attributes("extensionattribute3")
    assert len(found) == 3
    assert set(found) <= {"extensionAttribute1", "extensionAttribute2", "extensionAttribute12"}
    assert schema.closest_attributes("extensionAttribute2", n=1) == ["extensionAttribute2"]
    assert len(schema.closest_attributes("extensionAttribute", n=2)) == 2
    assert schema.closest_attributes("department", n=0) == []


def test_nothing_close_gives_nothing(schema: Directory) -> None:
    assert schema.closest_attributes("zzzzqqqq") == []
    assert schema.closest_attributes("") == []
    assert Directory().closest_attributes("department") == []


def test_one_spelling_per_name_whatever_the_order() -> None:
    people = [person("ana@contoso.com", Department="A"), person("bob@contoso.com", department="B")]
    d = Directory(people)
    assert d.attribute_names >= {"Department", "department"}
    # One suggestion, not the same name twice; the same one on every run.
    assert d.closest_attributes("departmen") == ["Department"]


def test_fast_for_a_hundred_thousand_people() -> None:
    attributes = {"department": "Sales", "jobTitle": "Engineer", "givenName": "Ana"}
    # model_construct: the people are valid; checking each again only slows the test down.
    people = [
        Person.model_construct(
            id=f"p{i}", attributes={"userPrincipalName": f"u{i}@contoso.com", **attributes}
        )
        for i in range(100_000)
    ]
    d = Directory(people)
    assert d.attribute_names == {"userPrincipalName", *attributes}
    started = time.perf_counter()
    for _ in range(1_000):
        assert d.closest_attributes("departement") == ["department"]
    # It never looks at the people again: a thousand lookups take milliseconds.
    assert time.perf_counter() - started < 2.0


# -- CSV: the header of the people file ---------------------------------------------------------


def test_csv_sample_schema_is_its_header_without_id(sample: Directory) -> None:
    with (SAMPLE / "people.csv").open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert "id" in header
    assert sample.attribute_names == frozenset(header) - {"id"}


def test_csv_columns_empty_on_every_row_and_their_case_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "\ufeffID, UserPrincipalName ,Department,extensionAttribute7\n"
        "a1,ana@contoso.com,Sales,\n"
        "b2,bob@contoso.com,,\n",
        encoding="utf-8",
    )
    d = Directory.from_csv(path)
    assert d.attribute_names == {"UserPrincipalName", "Department", "extensionAttribute7"}
    assert not any(p.has("extensionAttribute7") for p in d)
    assert d.closest_attributes("extensionAttribute8") == ["extensionAttribute7"]


def test_csv_groups_file_adds_no_attribute(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("userPrincipalName,mail\nana@contoso.com,\n", encoding="utf-8")
    groups = tmp_path / "groups.csv"
    groups.write_text("group,member\nSales,ana@contoso.com\n", encoding="utf-8")
    assert Directory.from_csv(people, groups).attribute_names == {"userPrincipalName", "mail"}


# -- JSON and YAML: the keys of the person records ----------------------------------------------


def test_yaml_sample_schema_is_the_union_of_its_keys() -> None:
    data = yaml.safe_load((SAMPLE / "directory.yaml").read_text(encoding="utf-8"))
    keys = {key for record in data["people"] for key in record} - {"id"}
    d = Directory.from_yaml(SAMPLE / "directory.yaml")
    assert d.attribute_names == keys
    # `mobile` is missing from some people, `manager` from the CEO: both are in the schema.
    assert {"mobile", "manager"} <= d.attribute_names


def test_json_schema_has_keys_of_any_record_null_values_included(tmp_path: Path) -> None:
    path = tmp_path / "directory.json"
    people = [
        {"id": "u1", "userPrincipalName": "ana@contoso.com", "Department": "Sales"},
        {"id": "u2", "userPrincipalName": "bob@contoso.com", "costCenter": None},
        {"userPrincipalName": "carla@contoso.com", "extensionAttribute1": ""},
    ]
    path.write_text(json.dumps({"people": people}), encoding="utf-8")
    d = Directory.from_json(path)
    assert d.attribute_names == {
        "userPrincipalName",
        "Department",
        "costCenter",
        "extensionAttribute1",
    }
    assert not any(p.has("costCenter") or p.has("extensionAttribute1") for p in d)
    assert d.closest_attributes("department") == ["Department"]


def test_yaml_schema_from_a_small_document(tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(
        "people:\n"
        "  - userPrincipalName: ana@contoso.com\n"
        "    employeeHireDate: 2021-03-01\n"
        "  - userPrincipalName: bob@contoso.com\n"
        "    jobTitle:\n"
        "groups:\n"
        "  Sales: [ana@contoso.com]\n",
        encoding="utf-8",
    )
    d = Directory.from_yaml(path)
    assert d.attribute_names == {"userPrincipalName", "employeeHireDate", "jobTitle"}


# -- Microsoft Graph: what is asked for, renamed, plus what came back ---------------------------


def test_graph_schema_is_the_select_list_as_source_names() -> None:
    d = _load(FakeGraph())
    assert d.attribute_names >= SOURCE_ATTRIBUTES
    # Renamed as `Person` attributes are, so the schema and the people agree.
    assert {"mobile", "telephoneNumber", "physicalDeliveryOfficeName"} <= d.attribute_names
    assert {"division", "costCenter", "extensionAttribute15", "manager"} <= d.attribute_names
    assert {"id", "mobilePhone", "businessPhones", "employeeOrgData"}.isdisjoint(d.attribute_names)
    # Asked for, though no one has a value: still an attribute the directory offers.
    assert not any(p.has("facsimileTelephoneNumber") for p in d)
    assert "facsimileTelephoneNumber" in d.attribute_names
    for person_ in d:
        assert set(person_.attributes) <= d.attribute_names
    plain = {p for p in USER_SELECT if p != "id" and p[0].islower()} - {
        "mobilePhone",
        "businessPhones",
        "faxNumber",
        "officeLocation",
        "employeeOrgData",
        "onPremisesExtensionAttributes",
    }
    assert plain <= d.attribute_names


def test_graph_schema_includes_properties_graph_returned_unasked() -> None:
    class ExtraProperty(FakeGraph):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            response = super().__call__(request)
            if request.url.path == "/v1.0/users" and "$skiptoken" not in str(request.url):
                body = json.loads(response.content)
                body["value"][0]["employeeLeaveDateTime"] = "2030-01-31T00:00:00Z"
                return httpx.Response(200, json=body)
            return response

    d = _load(ExtraProperty())
    assert "employeeLeaveDateTime" in d.attribute_names
    assert d.closest_attributes("employeeLeaveDate", n=1) == ["employeeLeaveDateTime"]


def test_graph_source_attributes_follow_user_select() -> None:
    # Each property asked for gives one source name, except: the object id none,
    # employeeOrgData two, onPremisesExtensionAttributes fifteen; and $expand adds manager.
    assert len(SOURCE_ATTRIBUTES) == len(USER_SELECT) - 1 + (2 - 1) + (15 - 1) + 1
    assert "objectId" not in SOURCE_ATTRIBUTES
