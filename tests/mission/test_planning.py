"""The provisioning plan: who is provisioned, deactivated or released, and why."""

from __future__ import annotations

import datetime as dt

import pytest

from pulumi_workplace.assignments import Assignment
from pulumi_workplace.directory import Directory
from pulumi_workplace.mapping import (
    Mapping,
    ScopingClause,
    ScopingFilter,
    default_mappings,
    merge_mappings,
)
from pulumi_workplace.planning import ProvisioningInputError, plan_provisioning

from .conftest import person

ROLES = ["Admin", "Employee"]
NOW = dt.datetime(2025, 11, 20, tzinfo=dt.UTC)


def _id(directory: Directory, upn: str) -> str:
    found = directory.person_by_upn(upn)
    assert found is not None
    return found.id


def test_sample_plan(sample: Directory) -> None:
    plan = plan_provisioning(
        sample,
        assignments=[
            Assignment(group="Engineering", role="Employee"),
            Assignment(group="Sales & Marketing", role="Employee"),
            Assignment(user="amara.okafor@contoso.com", role="Admin"),
            Assignment(user="priya.raghunathan@contoso.com", role="Admin"),
        ],
        roles=ROLES,
        now=NOW,
    )
    # 16 engineers, 20 in sales & marketing and the CEO, less two disabled (never managed).
    assert plan.counts == {"provision": 35, "deactivate": 0, "release": 0}
    upns = [a.user_principal_name for a in plan.accounts]
    assert "rafael.gonzalez@contoso.com" not in upns and "ahmed.hassan@contoso.com" not in upns
    assert [a.person_id for a in plan.accounts] == sorted(a.person_id for a in plan.accounts)
    priya = plan.account(_id(sample, "priya.raghunathan@contoso.com"))
    assert priya is not None and priya.role == "Admin" and priya.action == "provision"
    assert priya.manager_person_id == _id(sample, "amara.okafor@contoso.com")
    assert priya.mapped.attributes["active"] is True
    assert priya.mapped.attributes["userName"] == "priya.raghunathan@contoso.com"
    assert plan.warnings == []
    order = [a.user_principal_name for a in plan.creation_order()]
    assert order.index("amara.okafor@contoso.com") < order.index("priya.raghunathan@contoso.com")
    assert order.index("mateo.fernandez@contoso.com") < order.index("kenji.watanabe@contoso.com")
    for account in plan.accounts:
        if account.manager_person_id:
            manager = plan.account(account.manager_person_id)
            assert manager is not None
            assert order.index(manager.user_principal_name) < order.index(
                account.user_principal_name
            )


def test_manager_outside_scope_is_a_warning(sample: Directory) -> None:
    plan = plan_provisioning(
        sample, assignments=[Assignment(group="Engineering", role="Employee")], roles=ROLES, now=NOW
    )
    priya = plan.account(_id(sample, "priya.raghunathan@contoso.com"))
    assert priya is not None and priya.manager_person_id is None
    assert plan.warnings == [
        "managerId left empty for 1 person whose manager is outside the scope: "
        "priya.raghunathan@contoso.com (manager amara.okafor@contoso.com)"
    ]


def test_deprovisioning_reasons(sample: Directory) -> None:
    grace, rafael = (
        _id(sample, "grace.obrien@contoso.com"),
        _id(sample, "rafael.gonzalez@contoso.com"),
    )
    zoe, kenji = _id(sample, "zoe.muller@contoso.com"), _id(sample, "kenji.watanabe@contoso.com")
    berlin_out = ScopingFilter(
        clauses=(ScopingClause(attribute="city", operator="NOT EQUALS", value="Berlin"),)
    )
    common = {
        "assignments": [Assignment(group="Engineering", role="Employee")],
        "roles": ROLES,
        "scoping_filters": [berlin_out],
        "previously_managed": [grace, rafael, zoe, kenji, "deleted-person-id"],
        "now": NOW,
    }
    plan = plan_provisioning(sample, **common)  # type: ignore[arg-type]
    by_id = {a.person_id: a for a in plan.accounts}
    assert (by_id[grace].action, by_id[grace].reason) == ("deactivate", "unassigned")
    assert (by_id[rafael].action, by_id[rafael].reason) == ("deactivate", "disabled_in_source")
    assert (by_id[zoe].action, by_id[zoe].reason) == ("deactivate", "out_of_scope")
    assert (by_id[kenji].action, by_id[kenji].reason) == ("provision", None)
    removed = by_id["deleted-person-id"]
    assert (removed.action, removed.reason) == ("deactivate", "removed_from_directory")
    assert removed.user_principal_name is None and removed.mapped.attributes == {}
    # Still in the directory: mapped as usual, but inactive.
    assert by_id[grace].mapped.attributes["active"] is False
    assert by_id[grace].mapped.attributes["userName"] == "grace.obrien@contoso.com"
    assert by_id[grace].role is None
    assert by_id[zoe].role == "Employee"
    assert plan.counts["deactivate"] == 4

    skipping = plan_provisioning(sample, skip_out_of_scope_deletions=True, **common)  # type: ignore[arg-type]
    actions = {a.person_id: (a.action, a.reason) for a in skipping.accounts}
    assert actions[grace] == ("release", "unassigned")
    assert actions[zoe] == ("release", "out_of_scope")
    assert actions[rafael] == ("deactivate", "disabled_in_source")
    assert actions["deleted-person-id"] == ("deactivate", "removed_from_directory")
    # The 15 enabled engineers less the 5 in Berlin.
    assert skipping.counts == {"provision": 10, "deactivate": 2, "release": 2}


def test_scope_all_provisions_every_enabled_person(sample: Directory) -> None:
    plan = plan_provisioning(
        sample,
        assignments=[Assignment(user="amara.okafor@contoso.com", role="Admin")],
        roles=ROLES,
        scope="all",
        now=NOW,
    )
    assert plan.counts["provision"] == 47
    roles = {a.user_principal_name: a.role for a in plan.accounts}
    assert roles["amara.okafor@contoso.com"] == "Admin"
    assert roles["kenji.watanabe@contoso.com"] is None


def test_scoping_filters_as_dicts_and_nested_groups(sample: Directory) -> None:
    plan = plan_provisioning(
        sample,
        assignments=[Assignment(group="Workplace Pilot", role="Employee")],
        roles=ROLES,
        nested_groups=True,
        scoping_filters=[
            {"clauses": [{"attribute": "jobTitle", "operator": "Includes", "value": "Engineer"}]}
        ],
        now=NOW,
    )
    titles = {a.user_principal_name: a.mapped.attributes["title"] for a in plan.accounts}
    assert titles and all("Engineer" in str(t) for t in titles.values())
    assert "thandiwe.mokoena@contoso.com" not in titles


def test_manager_cycles_are_errors_naming_the_people() -> None:
    people = [
        person("a@contoso.com", manager="b@contoso.com"),
        person("b@contoso.com", manager="a@contoso.com"),
        person("c@contoso.com", manager="c@contoso.com"),
        person("d@contoso.com", manager="a@contoso.com"),
    ]
    directory = Directory(people)
    assignments = [Assignment(user=p.id, role="Employee") for p in people]
    with pytest.raises(ProvisioningInputError) as caught:
        plan_provisioning(directory, assignments=assignments, roles=ROLES, now=NOW)
    problems = caught.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("manager cycle: a@contoso.com -> b@contoso.com -> a@contoso.com")
    assert problems[1].startswith("manager cycle: c@contoso.com -> c@contoso.com")
    # Out of scope, the cycle does not matter: b's manager is simply left empty.
    plan = plan_provisioning(directory, assignments=assignments[1:2], roles=ROLES, now=NOW)
    assert plan.account("b@contoso.com").manager_person_id is None  # type: ignore[union-attr]


def test_mapping_failures_of_every_person_are_listed(sample: Directory) -> None:
    mappings = merge_mappings(default_mappings(), [Mapping("startDate", source="jobTitle")])
    with pytest.raises(ProvisioningInputError) as caught:
        plan_provisioning(
            sample,
            assignments=[Assignment(group="Engineering", role="Employee")],
            roles=ROLES,
            mappings=mappings,
            now=NOW,
        )
    assert len(caught.value.problems) == 15  # every enabled engineer
    assert all("mapping startDate: cannot convert" in p for p in caught.value.problems)


def test_a_deactivated_person_whose_mapping_fails_is_a_warning(sample: Directory) -> None:
    mappings = merge_mappings(default_mappings(), [Mapping("startDate", source="jobTitle")])
    grace = _id(sample, "grace.obrien@contoso.com")
    plan = plan_provisioning(
        sample,
        assignments=[],
        roles=ROLES,
        mappings=mappings,
        previously_managed=[grace],
        now=NOW,
    )
    (account,) = plan.accounts
    assert account.action == "deactivate"
    assert account.mapped.attributes == {"active": False}
    assert "through its stored link only" in plan.warnings[0]


def test_non_deterministic_always_mappings_are_warned_about() -> None:
    directory = Directory([person("a@contoso.com")])
    mappings = merge_mappings(default_mappings(), [Mapping("nickName", expression="Guid()")])
    plan = plan_provisioning(
        directory,
        assignments=[{"user": "a@contoso.com", "role": "Employee"}],
        roles=ROLES,
        mappings=mappings,
    )
    assert plan.warnings == [
        "use apply='on_create' for 1 mapping whose value changes on every run (Guid, "
        "RandomString or Now) but applies always, or every preview shows a change: nickName"
    ]


def test_now_is_one_clock_for_the_whole_plan() -> None:
    directory = Directory([person("a@contoso.com"), person("b@contoso.com")])
    mappings = merge_mappings(
        default_mappings(), [Mapping("nickName", expression="CStr(Now())", apply="on_create")]
    )
    plan = plan_provisioning(
        directory,
        assignments=[{"user": p.id, "role": "Employee"} for p in directory],
        roles=ROLES,
        mappings=mappings,
        now=NOW,
    )
    assert {a.mapped.create_only["nickName"] for a in plan.accounts} == {"11/20/2025 12:00:00 AM"}


def test_people_sharing_a_matching_value_are_refused() -> None:
    # Both would be linked to the one Workplace account with externalId "shared".
    directory = Directory(
        [
            person("ann@contoso.com", mailNickname="shared"),
            person("ben@contoso.com", mailNickname="Shared"),
            person("cat@contoso.com", mailNickname="cat"),
        ]
    )
    with pytest.raises(ProvisioningInputError) as caught:
        plan_provisioning(
            directory,
            assignments=[Assignment(user=p.id, role="Employee") for p in directory.people],
            roles=ROLES,
            now=NOW,
        )
    message = str(caught.value)
    assert "ann@contoso.com and ben@contoso.com: both have externalId 'Shared'" in message
    assert "cat@contoso.com" not in message
