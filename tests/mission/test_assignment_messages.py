"""Assignment messages: the setting they name, and "did you mean" for unknown users and groups."""

from __future__ import annotations

import difflib
import time

import pytest

from pulumi_workplace import assignments as assignments_module
from pulumi_workplace.assignments import AssignmentError, resolve_assignments
from pulumi_workplace.directory import Directory, Group, Person
from pulumi_workplace.planning import ProvisioningInputError, plan_provisioning

from .conftest import person

ROLES = ["Admin", "Employee"]


@pytest.fixture
def directory() -> Directory:
    people = [person(f"{n}@contoso.com") for n in ("ana", "bob", "carla", "dan")]
    people.append(person("Fred@Contoso.com"))
    people.append(
        Person(
            id="0b9f6c1e-57a4-4d8e-9b1c-1f2e3d4c5b6a",
            attributes={
                "userPrincipalName": "lena.berg@contoso.onmicrosoft.com",
                "mail": "lena.berg@contoso.com",
            },
        )
    )
    groups = [
        Group(id="g-sales", display_name="Sales", member_ids=("ana@contoso.com",)),
        Group(id="g-sales-emea", display_name="Sales EMEA", member_ids=("bob@contoso.com",)),
        Group(id="g-sales-apac", display_name="Sales APAC", member_ids=("dan@contoso.com",)),
        Group(id="g-empty", display_name="Nobody"),
        Group(id="g-x1", display_name="Twins"),
        Group(id="g-x2", display_name="twins"),
    ]
    return Directory(people, groups)


def _problems(directory: Directory, *assignments: dict[str, str], **kwargs: str) -> list[str]:
    with pytest.raises(AssignmentError) as caught:
        resolve_assignments(directory, list(assignments), roles=ROLES, **kwargs)
    return list(caught.value.problems)


def _problem(directory: Directory, **assignment: str) -> str:
    (problem,) = _problems(directory, {"role": "Employee", **assignment})
    return problem


# The setting each message names


def test_messages_name_the_setting_given(directory: Directory) -> None:
    problems = _problems(
        directory,
        {"user": "ana@contoso.com", "role": "Employee"},
        {"group": "Marketing", "role": "Employee"},
        {"role": "Employee"},
        {"user": "bob@contoso.com", "role": "Manager"},
        setting="workplace:assignments",
    )
    assert problems == [
        "workplace:assignments[1] (group 'Marketing', role 'Employee'): no group in the "
        "directory has this id or name",
        "workplace:assignments[2] ({'role': 'Employee'}): an assignment names exactly one of "
        "user or group",
        "workplace:assignments[3] (user 'bob@contoso.com', role 'Manager'): unknown role "
        "'Manager' (declared roles: 'Admin', 'Employee')",
    ]


def test_role_messages_name_the_roles_setting(directory: Directory) -> None:
    with pytest.raises(AssignmentError) as caught:
        resolve_assignments(
            directory, [], roles=["Employee", "employee", ""], roles_setting="workplace:roles"
        )
    assert caught.value.problems == (
        "workplace:roles: 'employee' is declared twice (also as 'Employee')",
        "workplace:roles: '' is not a role name",
    )
    with pytest.raises(AssignmentError, match=r"workplace:roles: no role is declared"):
        resolve_assignments(directory, [], roles=[], roles_setting="workplace:roles")


def test_warnings_name_the_setting_given(directory: Directory) -> None:
    result = resolve_assignments(
        directory,
        [
            {"group": "Nobody", "role": "Employee"},
            {"user": "ana@contoso.com", "role": "Employee"},
            {"user": "ana@contoso.com", "role": "Employee"},
        ],
        roles=ROLES,
        setting="workplace:assignments",
    )
    assert result.warnings == [
        "1 group assignment assigns nobody (its group has no people as members): "
        "workplace:assignments[0] (group 'Nobody', role 'Employee')",
        "1 assignment repeats an earlier one and is counted once: workplace:assignments[2] "
        "(user 'ana@contoso.com', role 'Employee') repeats workplace:assignments[1]",
    ]


def test_the_defaults_are_the_python_names(directory: Directory) -> None:
    assert _problem(directory, group="Marketing").startswith("assignments[0] (group 'Marketing'")
    with pytest.raises(AssignmentError, match=r"^assignments: .*\n  roles: no role is declared"):
        resolve_assignments(directory, [], roles=[])


def test_the_plan_passes_both_settings_through(directory: Directory) -> None:
    with pytest.raises(ProvisioningInputError) as caught:
        plan_provisioning(
            directory,
            assignments=[{"group": "Marketing", "role": "Employee"}],
            roles=["Employee", "Employee"],
            assignments_setting="workplace:assignments",
            roles_setting="workplace:roles",
        )
    assert caught.value.problems == (
        "workplace:roles: 'Employee' is declared twice (also as 'Employee')",
        "workplace:assignments[0] (group 'Marketing', role 'Employee'): no group in the "
        "directory has this id or name",
    )


# Did you mean


def test_what_lookups_accept_is_still_accepted_silently(directory: Directory) -> None:
    result = resolve_assignments(
        directory,
        [
            {"user": "fred@contoso.com", "role": "Employee"},
            {"user": "ANA@CONTOSO.COM", "role": "Employee"},
            {"group": "sales", "role": "Admin"},
            {"group": "SALES emea", "role": "Admin"},
        ],
        roles=ROLES,
    )
    assert set(result) == {"Fred@Contoso.com", "ana@contoso.com", "bob@contoso.com"}
    assert result.warnings == []


@pytest.mark.parametrize(
    ("group", "hint"),
    [
        # Right but for case or spacing, which lookups do not forgive.
        ("G-SALES", "did you mean 'g-sales'?"),
        (" Sales ", "did you mean 'Sales'?"),
        ("sales  emea", "did you mean 'Sales EMEA'?"),
        # A name several groups share: their ids.
        ("Twins ", "did you mean 'g-x1' or 'g-x2'?"),
        # Close names, best first.
        ("Sale", "did you mean 'Sales'?"),
        ("Sales AMEA", "did you mean 'Sales EMEA', 'Sales APAC' or 'Sales'?"),
        ("Slaes", "did you mean 'Sales'?"),
    ],
)
def test_unknown_group_did_you_mean(directory: Directory, group: str, hint: str) -> None:
    assert _problem(directory, group=group) == (
        f"assignments[0] (group {group!r}, role 'Employee'): no group in the directory has this "
        f"id or name; {hint}"
    )


@pytest.mark.parametrize(
    ("user", "hint"),
    [
        ("ana@contoso.com ", "did you mean 'ana@contoso.com'?"),
        # An id in another case: the person's userPrincipalName.
        (
            "0B9F6C1E-57A4-4D8E-9B1C-1F2E3D4C5B6A",
            "did you mean 'lena.berg@contoso.onmicrosoft.com'?",
        ),
        # The mail given for the userPrincipalName.
        ("Lena.Berg@contoso.com", "did you mean 'lena.berg@contoso.onmicrosoft.com'?"),
        # The right name in a misspelt domain, or with none.
        ("carla@contso.com", "did you mean 'carla@contoso.com'?"),
        ("carla", "did you mean 'carla@contoso.com'?"),
        # Close names in the same domain.
        ("carl@contoso.com", "did you mean 'carla@contoso.com'?"),
        ("frde@contoso.com", "did you mean 'Fred@Contoso.com'?"),
    ],
)
def test_unknown_user_did_you_mean(directory: Directory, user: str, hint: str) -> None:
    assert _problem(directory, user=user) == (
        f"assignments[0] (user {user!r}, role 'Employee'): no person in the directory has this "
        f"userPrincipalName or id; {hint}"
    )


@pytest.mark.parametrize(
    ("kind", "ref"), [("user", "zed@contoso.com"), ("user", "x@fabrikam.com"), ("group", "HR")]
)
def test_nothing_close_no_hint(directory: Directory, kind: str, ref: str) -> None:
    assert "did you mean" not in _problem(directory, **{kind: ref})


# 100,000 people

GIVEN = [
    "ana", "bjorn", "carla", "dmitri", "elodie", "fatima", "grace", "henrik", "ingrid", "jamal",
    "kenji", "lucia", "mateo", "noa", "olga", "priya", "rafael", "sofia", "tariq", "yuki",
]  # fmt: skip


@pytest.fixture(scope="module")
def large() -> Directory:
    """100,000 people, all in one domain: `<given>.<family>@contoso.com`."""
    families = [f"{a}{b}" for a in ("ber", "kov", "lin", "mar", "nov") for b in GIVEN]
    people = []
    for i in range(100_000):
        upn = f"{GIVEN[i % 20]}.{families[(i // 20) % 100]}{i // 2000}@contoso.com"
        people.append(Person(id=f"p{i:06d}", attributes={"userPrincipalName": upn}))
    return Directory(people)


def test_did_you_mean_over_100000_people_compares_a_bounded_list(
    large: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[int] = []
    close = difflib.get_close_matches

    def counting(word: str, possibilities: list[str], *args: object, **kwargs: object) -> list[str]:
        compared.append(len(possibilities))
        return close(word, possibilities, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(assignments_module.difflib, "get_close_matches", counting)
    right = "'priya.marpriya7@contoso.com'"
    typos = [
        {"user": "priya.marpiya7@contoso.com", "role": "Employee"},  # a letter lost
        {"user": "rpiya.marpriya7@contoso.com", "role": "Employee"},  # two letters swapped
        {"user": "priya.marpryia7@contso.com", "role": "Employee"},  # and the domain misspelt
    ]
    started = time.perf_counter()
    problems = _problems(large, *typos)
    elapsed = time.perf_counter() - started
    assert len(problems) == 3
    assert all(right in p.partition("did you mean ")[2] for p in problems), problems
    assert compared and max(compared) <= assignments_module._COMPARED
    # Measured at about 0.5 s (building the index once) + 0.05 s per reference; plain difflib
    # over the 100,000 userPrincipalNames takes 6-10 s per reference.
    assert elapsed < 10
