"""Source attributes named in mappings and scoping filters must exist in the directory
(mapping/sources.py): the check the root program runs before any request."""

from __future__ import annotations

from pulumi_workplace.directory import Directory, Person
from pulumi_workplace.mapping import Mapping
from pulumi_workplace.mapping.sources import source_attributes, unknown_sources


def _directory() -> Directory:
    people = [
        Person(
            id="1",
            attributes={
                "userPrincipalName": "ana@contoso.com",
                "givenName": "Ana",
                "surname": "Silva",
                "department": "Sales",
            },
        )
    ]
    return Directory(people, source="directory.yaml")


def test_the_sources_of_each_mapping_type():
    assert source_attributes(Mapping("title", source="jobTitle")) == ("jobTitle",)
    joined = Mapping("displayName", expression='Join(" ", [givenName], [surname])')
    assert source_attributes(joined) == ("givenName", "surname")
    assert source_attributes(Mapping("title", constant="x")) == ()


def test_a_misspelt_source_in_an_expression_is_named_with_its_setting_and_a_suggestion():
    mapping = Mapping("displayName", expression='Join(" ", [givnName], [surname])')
    problems = unknown_sources(_directory(), [("workplace:mappings[0]", mapping)])
    assert problems == [
        "workplace:mappings[0] (displayName): source attribute 'givnName' is not in the "
        "directory (directory.yaml); did you mean 'givenName'?"
    ]


def test_case_and_virtual_attributes_are_known():
    mappings = [
        ("m0", Mapping("title", source="DEPARTMENT")),
        ("m1", Mapping("externalId", source="objectId")),
        ("m2", Mapping("active", expression="Not([IsSoftDeleted])")),
        ("m3", Mapping("userType", expression="SingleAppRoleAssignment([appRoleAssignments])")),
    ]
    assert unknown_sources(_directory(), mappings) == []


def test_id_points_to_object_id():
    problems = unknown_sources(_directory(), [("m", Mapping("externalId", source="id"))])
    assert problems and "did you mean 'objectId'?" in problems[0]


def test_scoping_filter_clauses_are_checked_as_written_or_parsed():
    from pulumi_workplace.mapping import ScopingFilter

    raw = {"clauses": [{"attribute": "departmnt", "operator": "EQUALS", "value": "Sales"}]}
    parsed = ScopingFilter.model_validate(
        {"clauses": [{"attribute": "surnme", "operator": "IS NOT NULL"}]}
    )
    problems = unknown_sources(
        _directory(), [], [raw, parsed], filters_setting="workplace:scopingFilters"
    )
    assert problems[0].startswith("workplace:scopingFilters[0].clauses[0]: source attribute")
    assert "did you mean 'department'?" in problems[0]
    assert problems[1].startswith("workplace:scopingFilters[1].clauses[0]")
    assert "'surname'" in problems[1]
