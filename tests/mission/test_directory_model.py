"""Person, Group and Directory: lookups and consistency checks."""

from __future__ import annotations

import pydantic
import pytest

from pulumi_workplace.directory import Directory, DirectoryError, Group, Person

from .conftest import person


def test_attribute_names_are_case_insensitive_and_kept_as_given() -> None:
    p = Person(id="1", attributes={"UserPrincipalName": "ana@contoso.com", "Department": "Sales"})
    assert p.get("department") == "Sales"
    assert p.get("DEPARTMENT") == "Sales"
    assert p.user_principal_name == "ana@contoso.com"
    assert list(p.attributes) == ["UserPrincipalName", "Department"]


def test_empty_values_count_as_absent() -> None:
    p = person("ana@contoso.com", mail="", mobile=None)
    assert p.get("mail") is None
    assert p.get("mobile", "none") == "none"
    assert not p.has("mail")


def test_account_enabled_defaults_to_true_and_is_normalised() -> None:
    assert person("a@contoso.com").account_enabled is True
    assert person("a@contoso.com", accountEnabled="FALSE").account_enabled is False
    assert person("a@contoso.com", accountEnabled="true").attributes["accountEnabled"] is True
    with pytest.raises(pydantic.ValidationError, match="accountEnabled must be true or false"):
        person("a@contoso.com", accountEnabled="maybe")


def test_a_person_needs_a_user_principal_name_and_unique_attribute_names() -> None:
    with pytest.raises(pydantic.ValidationError, match="userPrincipalName is required"):
        Person(id="1", attributes={"mail": "a@contoso.com"})
    with pytest.raises(pydantic.ValidationError, match="given twice"):
        Person(id="1", attributes={"userPrincipalName": "a@contoso.com", "mail": "x", "Mail": "y"})


def test_person_is_frozen_and_manager_ref_reads_manager() -> None:
    p = person("b@contoso.com", manager="a@contoso.com")
    assert p.manager_ref == "a@contoso.com"
    with pytest.raises(pydantic.ValidationError):
        p.id = "2"


def test_lookups_by_id_and_case_insensitive_upn() -> None:
    ana = Person(id="id-ana", attributes={"userPrincipalName": "Ana@Contoso.com"})
    d = Directory([ana], [Group(id="g1", display_name="Sales", member_ids=("id-ana",))])
    assert d.get_person("id-ana") is ana
    assert d.get_person("ana@contoso.com") is ana
    assert d.person_by_upn("ANA@CONTOSO.COM") is ana
    assert d.person_by_id("ana@contoso.com") is None
    assert d.find_groups("sales") == d.find_groups("g1")
    assert "ana@contoso.com" in d and len(d) == 1


def test_constructor_reports_every_inconsistency() -> None:
    people = [
        person("a@contoso.com"),
        person("A@contoso.com"),
        person("b@contoso.com", manager="zed@contoso.com"),
    ]
    groups = [Group(id="g", display_name="G", member_ids=("nobody",))]
    with pytest.raises(DirectoryError) as caught:
        Directory(people, groups, source="test")
    problems = caught.value.problems
    assert any("duplicate id" in p or "duplicate userPrincipalName" in p for p in problems)
    assert any("manager 'zed@contoso.com' is not in the directory" in p for p in problems)
    assert any("unknown member 'nobody'" in p for p in problems)


def test_group_members_direct_nested_and_cyclic() -> None:
    people = [person(f"{n}@contoso.com") for n in "abcd"]
    groups = [
        Group(id="top", display_name="Top", member_ids=("a@contoso.com", "mid")),
        Group(id="mid", display_name="Mid", member_ids=("b@contoso.com", "low")),
        Group(id="low", display_name="Low", member_ids=("c@contoso.com", "top")),
    ]
    d = Directory(people, groups)
    assert d.members("top") == {"a@contoso.com"}
    assert d.members("top", depth=2) == {"a@contoso.com", "b@contoso.com"}
    assert d.members("top", depth=None) == {"a@contoso.com", "b@contoso.com", "c@contoso.com"}


def test_ambiguous_group_names_are_all_found() -> None:
    groups = [Group(id="g1", display_name="Sales"), Group(id="g2", display_name="sales")]
    d = Directory([], groups)
    assert {g.id for g in d.find_groups("Sales")} == {"g1", "g2"}
    assert [g.id for g in d.find_groups("g2")] == ["g2"]


def test_directories_compare_by_content() -> None:
    assert Directory([person("a@contoso.com")]) == Directory([person("a@contoso.com")])
    assert Directory([person("a@contoso.com")]) != Directory([person("b@contoso.com")])
