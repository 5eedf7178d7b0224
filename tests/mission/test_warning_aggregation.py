"""A plan's warnings: one line per kind, with the count, at most five names and the right reason."""

from __future__ import annotations

import datetime as dt

from pulumi_workplace.assignments import warning_line
from pulumi_workplace.directory import Directory, Person
from pulumi_workplace.mapping import Mapping, default_mappings, merge_mappings
from pulumi_workplace.planning import ProvisioningPlan, plan_provisioning

from .conftest import person

ROLES = ["Employee"]
NOW = dt.datetime(2025, 11, 20, tzinfo=dt.UTC)


def _team(prefix: str, size: int, manager: str, **attributes: str | bool) -> list[Person]:
    return [
        person(f"{prefix}{n}@contoso.com", manager=manager, **attributes)
        for n in range(1, size + 1)
    ]


def _assign(*people: Person | str) -> list[dict[str, str]]:
    upns = [p if isinstance(p, str) else p.user_principal_name for p in people]
    return [{"user": upn, "role": "Employee"} for upn in upns]


def test_warning_line_names_five_and_counts_the_rest() -> None:
    names = [f"p{n}@x.com" for n in range(1, 8)]
    assert warning_line("7 things", names) == (
        "7 things: p1@x.com, p2@x.com, p3@x.com, p4@x.com, p5@x.com and 2 more"
    )
    assert warning_line("5 things", names[:5]) == (
        "5 things: p1@x.com, p2@x.com, p3@x.com, p4@x.com, p5@x.com"
    )
    assert warning_line("1 thing", names[:1]) == "1 thing: p1@x.com"


def test_175_people_whose_manager_is_outside_the_scope_make_one_line() -> None:
    team = _team("a", 175, "boss@contoso.com")
    directory = Directory([person("boss@contoso.com"), *team])
    plan = plan_provisioning(directory, assignments=_assign(*team), roles=ROLES, now=NOW)
    assert plan.counts["provision"] == 175
    # Names sorted as text: a100 ... a104 come before a1@.
    assert plan.warnings == [
        "managerId left empty for 175 people whose manager is outside the scope: "
        "a100@contoso.com (manager boss@contoso.com), a101@contoso.com (manager "
        "boss@contoso.com), a102@contoso.com (manager boss@contoso.com), a103@contoso.com "
        "(manager boss@contoso.com), a104@contoso.com (manager boss@contoso.com) and 170 more"
    ]
    assert all(a.manager_person_id is None for a in plan.accounts)


def test_each_reason_is_its_own_line() -> None:
    outside = person("outside@contoso.com")  # enabled, not assigned
    off = person("off@contoso.com", accountEnabled=False)  # assigned, disabled, never managed
    gone = person("gone@contoso.com", accountEnabled=False)  # assigned, disabled, managed before
    left = person("left@contoso.com")  # unassigned, managed before
    teams = [
        *_team("o", 3, "outside@contoso.com"),
        *_team("d", 2, "off@contoso.com"),
        *_team("g", 2, "gone@contoso.com"),
        *_team("r", 1, "left@contoso.com"),
    ]
    directory = Directory([outside, off, gone, left, *teams])

    def plan_with(skip: bool) -> ProvisioningPlan:
        return plan_provisioning(
            directory,
            assignments=_assign(off, gone, *teams),
            roles=ROLES,
            previously_managed=[gone.id, left.id],
            skip_out_of_scope_deletions=skip,
            now=NOW,
        )

    plan = plan_with(skip=True)
    assert plan.warnings == [
        "managerId left empty for 2 people whose manager is disabled in the directory "
        "(accountEnabled false), so not provisioned: "
        "d1@contoso.com (manager off@contoso.com), d2@contoso.com (manager off@contoso.com)",
        "managerId left empty for 1 person whose manager is released (out of scope under "
        "skip_out_of_scope_deletions: no longer managed): r1@contoso.com (manager "
        "left@contoso.com)",
        "managerId left empty for 3 people whose manager is outside the scope: "
        "o1@contoso.com (manager outside@contoso.com), o2@contoso.com (manager "
        "outside@contoso.com), o3@contoso.com (manager outside@contoso.com)",
    ]
    assert plan.account(off.id) is None  # never created, as Entra ID does
    gone_account = plan.account(gone.id)
    assert gone_account is not None and gone_account.action == "deactivate"
    # A deactivated manager still has an account: the people it manages keep it as manager.
    for upn in ("g1@contoso.com", "g2@contoso.com"):
        account = plan.account(upn)
        assert account is not None and account.manager_person_id == gone.id

    # Without skip_out_of_scope_deletions the manager who left is deactivated, so linked.
    plan = plan_with(skip=False)
    assert not any("released" in w for w in plan.warnings)
    r1 = plan.account("r1@contoso.com")
    assert r1 is not None and r1.manager_person_id == left.id


def test_a_manager_reference_that_names_nobody() -> None:
    # The directory checks `manager`; a managerId mapped from another attribute may name nobody.
    directory = Directory([person("x1@contoso.com", extensionAttribute1="ghost@contoso.com")])
    mappings = merge_mappings(
        default_mappings(), [Mapping("managerId", source="extensionAttribute1")]
    )
    plan = plan_provisioning(
        directory, assignments=_assign("x1@contoso.com"), roles=ROLES, mappings=mappings, now=NOW
    )
    assert plan.warnings == [
        "managerId left empty for 1 person whose manager is not in the directory: "
        "x1@contoso.com (manager ghost@contoso.com)"
    ]


def test_people_deactivated_or_released_whose_mappings_fail_make_one_line_each() -> None:
    people = [person(f"m{n}@contoso.com", jobTitle="Engineer") for n in range(1, 9)]
    directory = Directory(people)
    mappings = merge_mappings(default_mappings(), [Mapping("startDate", source="jobTitle")])
    managed = [p.id for p in people]
    plan = plan_provisioning(
        directory,
        assignments=[],
        roles=ROLES,
        mappings=mappings,
        previously_managed=managed,
        now=NOW,
    )
    (line,) = plan.warnings
    assert line.startswith(
        "mappings fail for 8 people being deactivated; their accounts are deactivated through "
        "their stored links only: m1@contoso.com (mapping startDate: cannot convert 'Engineer' "
        "to an integer"
    )
    assert line.endswith(" and 3 more")
    assert line.count("@contoso.com") == 5

    in_scope_filter = [{"clauses": [{"attribute": "city", "operator": "EQUALS", "value": "Oslo"}]}]
    plan = plan_provisioning(
        directory,
        assignments=_assign(*people[:1]),
        roles=ROLES,
        mappings=mappings,
        scoping_filters=in_scope_filter,
        previously_managed=managed,
        skip_out_of_scope_deletions=True,
        now=NOW,
    )
    (line,) = plan.warnings
    assert line.startswith(
        "mappings fail for 8 people being released; their accounts are released through their "
        "stored links only: m1@contoso.com"
    )


def test_mappings_that_change_every_run_make_one_line() -> None:
    directory = Directory([person("a@contoso.com")])
    mappings = merge_mappings(
        default_mappings(),
        [Mapping("nickName", expression="Guid()"), Mapping("title", expression="Now()")],
    )
    plan = plan_provisioning(
        directory, assignments=_assign("a@contoso.com"), roles=ROLES, mappings=mappings, now=NOW
    )
    assert plan.warnings == [
        "use apply='on_create' for 2 mappings whose value changes on every run (Guid, "
        "RandomString or Now) but apply always, or every preview shows a change: nickName, title"
    ]


def test_the_assignments_warnings_come_first_then_one_line_per_kind() -> None:
    team = _team("a", 6, "boss@contoso.com")
    directory = Directory([person("boss@contoso.com"), *team])
    mappings = merge_mappings(default_mappings(), [Mapping("nickName", expression="Guid()")])
    plan = plan_provisioning(
        directory,
        assignments=[*_assign(*team), *_assign(*team[:2])],
        roles=ROLES,
        mappings=mappings,
        assignments_setting="workplace:assignments",
        now=NOW,
    )
    assert [w.split(":")[0] for w in plan.warnings] == [
        "2 assignments repeat an earlier one and are counted once",
        "use apply='on_create' for 1 mapping whose value changes on every run (Guid, "
        "RandomString or Now) but applies always, or every preview shows a change",
        "managerId left empty for 6 people whose manager is outside the scope",
    ]
    assert (
        "workplace:assignments[6] (user 'a1@contoso.com', role 'Employee') repeats "
        "workplace:assignments[0]" in plan.warnings[0]
    )
