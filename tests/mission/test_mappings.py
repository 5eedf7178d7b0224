"""Mappings: construction checks, Workplace defaults, merging, and evaluation per person."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pulumi_workplace.attributes import BY_KEY
from pulumi_workplace.directory import Directory, Person
from pulumi_workplace.mapping import (
    MappedAccount,
    Mapping,
    MappingError,
    check_mappings,
    default_mappings,
    evaluate_mappings,
    merge_mappings,
)

from .conftest import person

NOW = dt.datetime(2025, 11, 20, tzinfo=dt.UTC)
ANA = person(
    "ana@contoso.com",
    mail="ana.lima@contoso.com",
    mailNickname="ana",
    givenName="Ana",
    surname="Lima",
    displayName="Ana Lima",
    jobTitle="Engineer",
    department="Engineering",
    employeeId="E7",
    employeeHireDate="2021-03-01",
    manager="bob@contoso.com",
    city="Lisboa",
    country="PT",
)


def evaluate(
    who: Person,
    *overrides: Mapping,
    role: str | None = "Employee",
    soft_deleted: bool | None = None,
) -> MappedAccount:
    mappings = merge_mappings(default_mappings(), overrides)
    return evaluate_mappings(who, mappings, role=role, now=NOW, soft_deleted=soft_deleted)


# --- construction -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "key"),
    [
        ("urn:scim:schemas:extension:enterprise:1.0.department", "department"),
        ('emails[type eq "work"].value', "workEmail"),
        ("name.givenName", "givenName"),
        ("urn:scim:schemas:extension:facebook:starttermdates:1.0.startDate", "startDate"),
        ("DisplayName", "displayName"),
    ],
)
def test_entra_target_names_resolve_to_catalogue_keys(target: str, key: str) -> None:
    assert Mapping(target, source="x").key == key


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"source": "department"}, "direct"),
        ({"expression": "ToUpper([department])"}, "expression"),
        ({"expression": lambda p: p.get("department")}, "expression"),
        ({"constant": "Contoso"}, "constant"),
        ({}, "none"),
        ({"default": "n/a"}, "none"),
    ],
)
def test_type_is_inferred(fields: dict[str, Any], kind: str) -> None:
    assert Mapping("department", **fields).type == kind


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"type": "direct"}, "a direct mapping needs source"),
        ({"type": "constant", "source": "x"}, "a constant mapping needs constant"),
        ({"source": "x", "constant": "y"}, "a constant mapping takes no source"),
        ({"expression": "[x]", "source": "x"}, "an expression mapping takes no source"),
        ({"source": "x", "matching_precedence": 1}, "department cannot be a matching attribute"),
        ({"type": "bogus", "source": "x"}, "type:"),
        ({"source": "x", "apply": "sometimes"}, "apply:"),
    ],
)
def test_inconsistent_mappings_are_refused_naming_the_target(
    fields: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(MappingError) as caught:
        Mapping("department", **fields)
    assert "mapping department" in str(caught.value)
    assert fragment in str(caught.value)


def test_other_construction_rules() -> None:
    with pytest.raises(MappingError, match="roles cannot be mapped directly"):
        Mapping("userType", source="appRoleAssignments")
    with pytest.raises(MappingError, match="matching_precedence must be a positive number"):
        Mapping("externalId", source="x", matching_precedence=0)
    with pytest.raises(MappingError, match="cannot be applied on create only or have a default"):
        Mapping("managerId", source="manager", apply="on_create")
    with pytest.raises(MappingError, match="SelectUniqueValue cannot be used on a matching"):
        Mapping("userName", expression="SelectUniqueValue([a], [b])", matching_precedence=1)
    with pytest.raises(MappingError, match="constant: cannot convert 'perhaps' to a boolean"):
        Mapping("isFrontline", constant="perhaps")
    with pytest.raises(MappingError, match="default: cannot convert 'soon' to an integer"):
        Mapping("startDate", source="employeeHireDate", default="soon")


def test_mapping_from_a_config_dict_and_error_type() -> None:
    mapping = Mapping.model_validate({"target": "title", "source": "jobTitle"})
    assert mapping.key == "title" and mapping.type == "direct"
    with pytest.raises(ValueError, match="unknown function"):
        Mapping.model_validate({"target": "title", "expression": "Nope([x])"})


# --- defaults and merging -----------------------------------------------------------------


def test_default_table_is_complete_and_valid() -> None:
    defaults = default_mappings()
    check_mappings(defaults)
    keys = [m.key for m in defaults]
    assert len(keys) == len(set(keys))
    assert all(key in BY_KEY for key in keys)
    by_key = {m.key: m for m in defaults}
    assert by_key["userName"].source == "userPrincipalName"
    assert by_key["userName"].matching_precedence == 1
    assert by_key["externalId"].source == "mailNickname"
    assert by_key["externalId"].matching_precedence == 2
    assert by_key["workEmail"].expression == "Coalesce([mail], [userPrincipalName])"
    assert by_key["formattedName"].expression.startswith(
        'Coalesce(Join(" ", [givenName], [surname])'
    )
    assert by_key["employeeNumber"].source == "employeeId"
    assert by_key["managerId"].source == "manager"
    assert {"title", "familyName", "department", "active", "mobilePhone"} <= set(keys)


def test_merge_replaces_removes_and_appends() -> None:
    merged = merge_mappings(
        default_mappings(),
        [
            Mapping("urn:scim:schemas:extension:enterprise:1.0.department", constant="All"),
            Mapping('phoneNumbers[type eq "fax"].value', type="none"),
            Mapping("authMethod", constant="sso"),
        ],
    )
    by_key = {m.key: m for m in merged}
    assert by_key["department"].constant == "All"
    assert "fax" not in by_key
    assert by_key["authMethod"].constant == "sso"
    assert [m.key for m in merged][-1] == "authMethod"


def test_merge_refuses_removing_user_name_and_double_overrides() -> None:
    with pytest.raises(MappingError, match="required by Workplace; its mapping can be changed"):
        merge_mappings(default_mappings(), [Mapping("userName")])
    with pytest.raises(MappingError, match="overridden twice"):
        merge_mappings(
            default_mappings(), [Mapping("title", source="a"), Mapping("title", source="b")]
        )


def test_a_none_override_with_a_default_keeps_the_target() -> None:
    merged = merge_mappings(default_mappings(), [Mapping("title", default="Staff")])
    assert {m.key: m for m in merged}["title"].type == "none"


def test_set_checks_list_every_problem() -> None:
    mappings = [
        Mapping("title", source="jobTitle"),
        Mapping("title", source="department"),
        Mapping("externalId", source="a", matching_precedence=1),
        Mapping("externalId", source="b", matching_precedence=1),
    ]
    with pytest.raises(MappingError) as caught:
        check_mappings(mappings)
    message = str(caught.value)
    assert "title is mapped twice" in message
    assert "userName is required by Workplace and has no mapping" in message
    assert "matching_precedence 1 is also used by externalId" in message
    with pytest.raises(MappingError, match="no matching attribute"):
        check_mappings([Mapping("userName", source="userPrincipalName")])


# --- evaluation ---------------------------------------------------------------------------


def test_default_mappings_for_a_person() -> None:
    account = evaluate(ANA)
    values = account.attributes
    assert values["userName"] == "ana@contoso.com"
    assert values["externalId"] == "ana"
    assert values["active"] is True
    assert values["workEmail"] == "ana.lima@contoso.com"
    assert values["formattedName"] == "Ana Lima"
    assert values["familyName"] == "Lima"
    assert values["title"] == "Engineer"
    assert values["employeeNumber"] == "E7"
    assert values["workAddressFormatted"] == "Lisboa, PT"
    assert values["startDate"] == 1614556800  # 2021-03-01T00:00:00Z
    assert values["mobilePhone"] is None  # empty source clears the target
    assert "managerId" not in values
    assert account.manager_ref == "bob@contoso.com"
    assert account.match_on == ["userName", "externalId"]
    assert account.create_only == {}
    assert "mobilePhone" in account.clear and "userName" in account.values


def test_person_without_mail_falls_back_to_user_principal_name() -> None:
    kofi = person("kofi@contoso.com", givenName="Kofi")
    account = evaluate(kofi)
    assert account.attributes["workEmail"] == "kofi@contoso.com"
    assert account.attributes["formattedName"] == "Kofi"
    assert account.match_on == ["userName"]


def test_empty_manager_clears_manager_id() -> None:
    account = evaluate(person("ceo@contoso.com"))
    assert account.manager_ref is None
    assert account.attributes["managerId"] is None


def test_clear_when_empty_off_leaves_the_target_alone() -> None:
    account = evaluate(ANA, Mapping("mobilePhone", source="mobile", clear_when_empty=False))
    assert "mobilePhone" not in account.attributes


def test_defaults_and_on_create_go_to_create_only() -> None:
    account = evaluate(
        ANA,
        Mapping("mobilePhone", source="mobile", default="+351 000"),
        Mapping("title", source="jobTitle", apply="on_create"),
        Mapping("authMethod", default="sso"),
        Mapping("nickName", expression="Guid()", apply="on_create"),
        Mapping("invited", constant=False),
    )
    assert account.create_only["mobilePhone"] == "+351 000"
    assert "mobilePhone" not in account.attributes
    assert account.create_only["title"] == "Engineer" and "title" not in account.attributes
    assert account.create_only["authMethod"] == "sso"
    assert len(str(account.create_only["nickName"])) == 36
    assert account.attributes["invited"] is False
    assert account.on_create()["title"] == "Engineer"
    assert account.value("authMethod") == "sso"


def test_a_default_is_not_used_when_the_source_has_a_value() -> None:
    account = evaluate(ANA, Mapping("title", source="jobTitle", default="Staff"))
    assert account.attributes["title"] == "Engineer" and "title" not in account.create_only


def test_ignore_flow_and_redact() -> None:
    account = evaluate(
        ANA,
        Mapping("mobilePhone", expression="IgnoreFlowIfNullOrEmpty([mobile])"),
        Mapping("employeeNumber", expression="Redact([employeeId])"),
    )
    assert "mobilePhone" not in account.attributes
    assert account.attributes["employeeNumber"] == "E7"
    assert account.redacted == ["employeeNumber"]


def test_role_and_soft_delete_reach_expressions() -> None:
    account = evaluate(
        ANA, Mapping("userType", expression="SingleAppRoleAssignment([appRoleAssignments])")
    )
    assert account.attributes["userType"] == "Employee"
    assert evaluate(ANA, soft_deleted=True).attributes["active"] is False
    disabled = person("x@contoso.com", accountEnabled=False)
    assert evaluate(disabled).attributes["active"] is False


def test_python_callables_are_expressions() -> None:
    account = evaluate(ANA, Mapping("nickName", expression=lambda p: str(p.get("givenName"))[:2]))
    assert account.attributes["nickName"] == "An"


def test_typed_targets_are_converted() -> None:
    who = person(
        "t@contoso.com",
        extensionAttribute1="TRUE",
        extensionAttribute2="1700000000",
        employeeHireDate="2021-03-01T09:00:00+01:00",
    )
    account = evaluate(
        who,
        Mapping("isFrontline", source="extensionAttribute1"),
        Mapping("termDate", source="extensionAttribute2"),
        Mapping(
            "startDate",
            expression='DateDiff("s", CDate("1970-01-01T00:00:00Z"), CDate([employeeHireDate]))',
        ),
        Mapping("organization", expression="CDate([employeeHireDate])"),
    )
    assert account.attributes["isFrontline"] is True
    assert account.attributes["termDate"] == 1_700_000_000
    assert account.attributes["startDate"] == 1614585600
    assert account.attributes["organization"] == "3/1/2021 8:00:00 AM"


def test_conversion_failures_name_person_and_mapping_all_at_once() -> None:
    who = person("t@contoso.com", extensionAttribute1="perhaps", employeeHireDate="soon")
    with pytest.raises(MappingError) as caught:
        evaluate(
            who,
            Mapping("isFrontline", source="extensionAttribute1"),
            Mapping("division", expression='Split("a,b", ",")'),
            Mapping("nickName", expression=lambda p: 1 / 0),
        )
    message = str(caught.value)
    assert "person t@contoso.com: 4 problem(s)" in message
    assert (
        "person t@contoso.com: mapping isFrontline: cannot convert 'perhaps' to a boolean"
        in message
    )
    assert "mapping startDate: cannot convert 'soon' to an integer" in message
    assert "mapping division: division takes one value, got 2" in message
    assert "mapping nickName: ZeroDivisionError" in message


def test_mandatory_fields_missing() -> None:
    who = person("t@contoso.com")
    with pytest.raises(MappingError) as caught:
        evaluate(who, Mapping("userName", expression="[mail]", matching_precedence=1))
    message = str(caught.value)
    assert "required attribute userName (mapped from [mail]) has no value" in message
    assert "MandatoryFieldsMissing" in message


def test_person_label_shows_an_id_that_differs(sample: Directory) -> None:
    someone = sample.person_by_upn("kofi.mensah@contoso.com")
    assert someone is not None
    with pytest.raises(MappingError, match=r"person kofi.mensah@contoso.com \(id [0-9a-f-]{36}\)"):
        evaluate(someone, Mapping("userName", source="mail", matching_precedence=1))


def test_the_whole_sample_maps_without_errors(sample: Directory) -> None:
    mappings = default_mappings()
    accounts = [evaluate_mappings(p, mappings, now=NOW) for p in sample]
    assert all(a.attributes["userName"] for a in accounts)
    assert sum(a.manager_ref is not None for a in accounts) == 49


def test_formatted_name_is_never_empty_because_workplace_requires_it() -> None:
    nameless = person("x9@contoso.com", displayName="Build Robot")
    assert evaluate(nameless).attributes["formattedName"] == "Build Robot"
    bare = person("x10@contoso.com")
    assert evaluate(bare).attributes["formattedName"] == "x10@contoso.com"
