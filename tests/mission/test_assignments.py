"""Assignments: users and groups with roles, resolved to one role per person."""

from __future__ import annotations

import pydantic
import pytest

from pulumi_workplace.assignments import Assignment, AssignmentError, resolve_assignments
from pulumi_workplace.directory import Directory, Group

from .conftest import person

ROLES = ["Admin", "Employee", "Guest"]


@pytest.fixture
def directory() -> Directory:
    people = [person(f"{n}@contoso.com") for n in ("ana", "bob", "carla", "dan", "eve")]
    people.append(person("Fred@Contoso.com"))
    groups = [
        Group(
            id="g-sales",
            display_name="Sales",
            member_ids=("ana@contoso.com", "bob@contoso.com", "g-emea"),
        ),
        Group(id="g-emea", display_name="EMEA", member_ids=("carla@contoso.com", "g-deep")),
        Group(id="g-deep", display_name="Deep", member_ids=("dan@contoso.com", "g-sales")),
        Group(id="g-empty", display_name="Nobody", member_ids=("g-deep",)),
        Group(id="g-x1", display_name="Twins"),
        Group(id="g-x2", display_name="twins"),
    ]
    return Directory(people, groups)


def test_user_by_upn_any_case_or_id(directory: Directory) -> None:
    result = resolve_assignments(
        directory,
        [
            Assignment(user="fred@contoso.com", role="Employee"),
            Assignment(user="ana@contoso.com", role="Admin"),
        ],
        roles=ROLES,
    )
    assert list(result) == ["Fred@Contoso.com", "ana@contoso.com"]
    assert result["Fred@Contoso.com"].role == "Employee"
    assert result["ana@contoso.com"].direct


def test_group_covers_direct_members_only_by_default(directory: Directory) -> None:
    result = resolve_assignments(
        directory, [Assignment(group="Sales", role="Employee")], roles=ROLES
    )
    assert set(result) == {"ana@contoso.com", "bob@contoso.com"}
    assert not result["ana@contoso.com"].direct


@pytest.mark.parametrize(
    ("nested", "expected"),
    [
        (False, {"ana", "bob"}),
        (1, {"ana", "bob"}),
        (2, {"ana", "bob", "carla"}),
        (3, {"ana", "bob", "carla", "dan"}),
        (True, {"ana", "bob", "carla", "dan"}),
    ],
)
def test_nested_groups_by_depth_and_cycle_safe(
    directory: Directory, nested: bool | int, expected: set[str]
) -> None:
    result = resolve_assignments(
        directory, [Assignment(group="g-sales", role="Employee")], roles=ROLES, nested_groups=nested
    )
    assert set(result) == {f"{n}@contoso.com" for n in expected}


def test_one_role_per_person_by_precedence(directory: Directory) -> None:
    result = resolve_assignments(
        directory,
        [
            Assignment(group="Sales", role="Guest"),  # 0
            Assignment(group="Sales", role="Employee"),  # 1: Employee is listed before Guest
            Assignment(user="bob@contoso.com", role="Guest"),  # 2: direct beats groups
            Assignment(group="EMEA", role="Admin"),  # 3
        ],
        roles=ROLES,
    )
    assert result["ana@contoso.com"].role == "Employee"
    assert result["ana@contoso.com"].indices == (0, 1)
    assert result["ana@contoso.com"].via[0] == Assignment(group="Sales", role="Guest")
    assert result["bob@contoso.com"].role == "Guest"
    assert result["bob@contoso.com"].direct
    assert result["carla@contoso.com"].role == "Admin"
    # Fully nested, EMEA reaches Sales again (through Deep): Admin, listed first, wins.
    nested = resolve_assignments(
        directory,
        [Assignment(group="Sales", role="Employee"), Assignment(group="EMEA", role="Admin")],
        roles=ROLES,
        nested_groups=True,
    )
    assert nested["ana@contoso.com"].role == "Admin"


def test_duplicate_assignments_warn_once(directory: Directory) -> None:
    result = resolve_assignments(
        directory,
        [
            Assignment(user="ana@contoso.com", role="Employee"),
            Assignment(user="ANA@contoso.com", role="Employee"),
            {"user": "ana@contoso.com", "role": "Employee"},
            Assignment(group="Sales", role="Employee"),
            Assignment(group="g-sales", role="Employee"),
        ],
        roles=ROLES,
    )
    assert result.warnings == [
        "3 assignments repeat an earlier one and are counted once: "
        "assignments[1] (user 'ANA@contoso.com', role 'Employee') repeats assignments[0], "
        "assignments[2] (user 'ana@contoso.com', role 'Employee') repeats assignments[0], "
        "assignments[4] (group 'g-sales', role 'Employee') repeats assignments[3]",
    ]
    assert result["ana@contoso.com"].indices == (0, 3)


def test_same_target_with_another_role_is_not_a_duplicate(directory: Directory) -> None:
    result = resolve_assignments(
        directory,
        [
            Assignment(user="ana@contoso.com", role="Guest"),
            Assignment(user="ana@contoso.com", role="Admin"),
        ],
        roles=ROLES,
    )
    assert result.warnings == []
    assert result["ana@contoso.com"].role == "Admin"


def test_group_without_people_is_a_warning(directory: Directory) -> None:
    result = resolve_assignments(directory, [Assignment(group="Nobody", role="Guest")], roles=ROLES)
    assert not result
    assert result.warnings == [
        "1 group assignment assigns nobody (its group has no people as members): "
        "assignments[0] (group 'Nobody', role 'Guest')"
    ]


def test_every_problem_is_reported_with_the_assignment(directory: Directory) -> None:
    with pytest.raises(AssignmentError) as caught:
        resolve_assignments(
            directory,
            [
                Assignment(user="ana@contoso.com", role="Employee"),
                Assignment(user="zed@contoso.com", role="Employee"),
                Assignment(group="Marketing", role="Employee"),
                Assignment(group="Twins", role="Employee"),
                Assignment(user="bob@contoso.com", role="employee"),
                Assignment(group="Sales", role="DEFAULT ACCESS"),
                {"role": "Employee"},
            ],
            roles=ROLES,
        )
    problems = caught.value.problems
    assert problems == (
        "assignments[1] (user 'zed@contoso.com', role 'Employee'): no person in the directory "
        "has this userPrincipalName or id",
        "assignments[2] (group 'Marketing', role 'Employee'): no group in the directory has this "
        "id or name",
        "assignments[3] (group 'Twins', role 'Employee'): 2 groups have this name (ids g-x1, "
        "g-x2); use the id",
        "assignments[4] (user 'bob@contoso.com', role 'employee'): unknown role 'employee' "
        "(declared roles: 'Admin', 'Employee', 'Guest'); did you mean 'Employee'? (roles are "
        "case-sensitive)",
        "assignments[5] (group 'Sales', role 'DEFAULT ACCESS'): role 'DEFAULT ACCESS' is refused: "
        "Entra ID's built-in 'Default Access' role does not provision users to Workplace; declare "
        "a role of the app (e.g. 'Employee') and assign that",
        "assignments[6] ({'role': 'Employee'}): an assignment names exactly one of user or group",
    )
    # What could be resolved is still there for callers that report more problems.
    assert list(caught.value.partial) == ["ana@contoso.com"]


def test_role_declarations_are_checked(directory: Directory) -> None:
    with pytest.raises(AssignmentError) as caught:
        resolve_assignments(directory, [], roles=["Employee", "Default Access", "employee", ""])
    message = str(caught.value)
    assert "roles: 'Default Access' cannot be declared" in message
    assert "roles: 'employee' is declared twice (also as 'Employee')" in message
    assert "roles: '' is not a role name" in message
    with pytest.raises(AssignmentError, match="no role is declared"):
        resolve_assignments(directory, [], roles=[])
    with pytest.raises(AssignmentError, match="expected a list of role names"):
        resolve_assignments(directory, [], roles="Employee")


def test_assignment_model() -> None:
    with pytest.raises(pydantic.ValidationError, match="exactly one of user or group"):
        Assignment(user="a", group="b", role="Employee")
    with pytest.raises(pydantic.ValidationError, match="must not be empty"):
        Assignment(user=" ", role="Employee")
    assert str(Assignment(group="Sales", role="Employee")) == "group 'Sales', role 'Employee'"
