"""compare.normalise / changed_paths and patch.build_patch / merged_user."""

from __future__ import annotations

from scim_helpers import rich_user

from pulumi_workplace.scim import (
    ACCOUNT_STATUS_URN,
    ENTERPRISE_URN,
    PATCH_OP_URN,
    START_TERM_DATES_URN,
    AccountStatusDetails,
    Address,
    Email,
    EnterpriseUser,
    GroupRef,
    Manager,
    Meta,
    Name,
    PhoneNumber,
    ScimUser,
    StartTermDates,
    build_patch,
    changed_paths,
    merged_user,
    normalise,
)
from pulumi_workplace.scim.patch import PatchOp, PatchOperation

DEPARTMENT = f"{ENTERPRISE_URN}:department"
MANAGER = f"{ENTERPRISE_URN}:manager"


def test_normalise_is_case_insensitive_for_username_and_emails() -> None:
    one = ScimUser(
        user_name="Ann@Example.COM", emails=[Email(value="Ann@Example.COM", type="Work")]
    )
    two = ScimUser(
        user_name="ann@example.com", emails=[Email(value="ann@example.com", type="work")]
    )
    assert normalise(one) == normalise(two)
    assert changed_paths(one, two) == []
    # Other strings stay case-exact.
    assert changed_paths(ScimUser(title="cto"), ScimUser(title="CTO")) == ["title"]


def test_multi_valued_order_does_not_matter() -> None:
    phones = [PhoneNumber(value="1", type="work"), PhoneNumber(value="2", type="mobile")]
    one = ScimUser(phone_numbers=phones)
    two = ScimUser(phone_numbers=list(reversed(phones)))
    assert normalise(one) == normalise(two)
    assert changed_paths(one, two) == []


def test_absent_empty_string_and_empty_list_are_the_same() -> None:
    empty = ScimUser(title="", emails=[], name=Name(given_name=""))
    assert normalise(empty) == {}
    assert normalise(ScimUser()) == {}
    # An empty value in the desired state is "not managed", not a change.
    assert changed_paths(ScimUser(title="x"), empty) == []


def test_primary_false_equals_absent_but_true_differs() -> None:
    bare = ScimUser(emails=[Email(value="a@x", type="work")])
    false = ScimUser(emails=[Email(value="a@x", type="work", primary=False)])
    true = ScimUser(emails=[Email(value="a@x", type="work", primary=True)])
    assert changed_paths(bare, false) == []
    assert changed_paths(bare, true) == ["emails"]


def test_server_managed_and_display_attributes_are_ignored() -> None:
    stored = ScimUser(
        id="1",
        user_name="a",
        meta=Meta(version="W/1"),
        groups=[GroupRef(value="g")],
        account_status=AccountStatusDetails(claimed=True, invite_date=5, claim_link="l"),
        emails=[Email(value="a@x", type="work", display="A")],
        enterprise=EnterpriseUser(manager=Manager(value="9", display_name="Boss")),
        extra_attributes={"x": 1},
    )
    desired = ScimUser(
        user_name="a",
        emails=[Email(value="a@x", type="work")],
        enterprise=EnterpriseUser(manager=Manager(value="9")),
    )
    assert changed_paths(stored, desired) == []
    state = normalise(stored)
    assert "id" not in state and "meta" not in state and "groups" not in state
    assert state[MANAGER] == "9"


def test_booleans_and_integers_are_exact() -> None:
    assert changed_paths(ScimUser(active=True), ScimUser(active=False)) == ["active"]
    start = f"{START_TERM_DATES_URN}:startDate"
    assert changed_paths(
        ScimUser(start_term_dates=StartTermDates(start_date=1)),
        ScimUser(start_term_dates=StartTermDates(start_date=2)),
    ) == [start]


def test_none_in_desired_means_leave_alone() -> None:
    before = rich_user(1)
    assert changed_paths(before, ScimUser()) == []
    assert changed_paths(before, ScimUser(title="New")) == ["title"]


def test_clear_reports_only_what_has_a_value() -> None:
    before = ScimUser(title="T", enterprise=EnterpriseUser(department="D"))
    after = ScimUser(clear={"title", DEPARTMENT, "nickName"})
    assert changed_paths(before, after) == sorted(["title", DEPARTMENT])
    assert changed_paths(ScimUser(), after) == []


def test_changed_paths_are_sorted_and_exact() -> None:
    before = rich_user(1)
    after = rich_user(1).model_copy(
        update={
            "display_name": "Other",
            "name": Name(given_name="New", family_name="Family1", formatted="Given1 Family1"),
            "enterprise": EnterpriseUser(
                department="Other", cost_center="CC1", employee_number="1"
            ),
        }
    )
    paths = changed_paths(before, after)
    assert paths == sorted(["displayName", "name.givenName", DEPARTMENT])


def test_build_patch_minimal_operations() -> None:
    before = rich_user(1).model_copy(
        update={"enterprise": EnterpriseUser(department="Old", manager=Manager(value="1"))}
    )
    after = ScimUser(
        display_name="New",
        name=Name(given_name="Given1", family_name="Changed"),
        active=False,
        emails=[Email(value="new@example.com", type="work", primary=True)],
        enterprise=EnterpriseUser(department="New", manager=Manager(value="2")),
        clear={"title"},
    )
    patch = build_patch(before, after)
    assert patch is not None
    wire = patch.to_wire()
    assert wire["schemas"] == [PATCH_OP_URN]
    assert wire["Operations"] == sorted(
        [
            {"op": "replace", "path": "active", "value": False},
            {"op": "replace", "path": "displayName", "value": "New"},
            {
                "op": "replace",
                "path": "emails",
                "value": [{"value": "new@example.com", "type": "work", "primary": True}],
            },
            {"op": "replace", "path": "name.familyName", "value": "Changed"},
            {"op": "remove", "path": "title"},
            {"op": "replace", "path": DEPARTMENT, "value": "New"},
            {"op": "replace", "path": MANAGER, "value": {"managerId": "2"}},
        ],
        key=lambda operation: operation["path"],
    )
    assert not patch.replace_only
    manager_as_value = build_patch(before, after, manager_shape="value")
    assert manager_as_value is not None
    assert {"op": "replace", "path": MANAGER, "value": {"value": "2"}} in (
        manager_as_value.to_wire()["Operations"]
    )


def test_build_patch_none_when_nothing_differs() -> None:
    user = rich_user(4)
    assert build_patch(user, user.model_copy()) is None
    assert build_patch(user, ScimUser(user_name=user.user_name.upper())) is None  # type: ignore[union-attr]


def test_patch_agrees_with_changed_paths() -> None:
    before, after = rich_user(1), rich_user(2)
    patch = build_patch(before, after)
    assert patch is not None and patch.replace_only
    assert patch.paths == changed_paths(before, after)


def test_patch_op_model() -> None:
    patch = PatchOp.model_validate(
        {"Operations": [{"op": "replace", "path": "active", "value": True}]}
    )
    assert patch.operations == [PatchOperation(op="replace", path="active", value=True)]
    assert PatchOperation(op="remove", path="title").to_wire() == {"op": "remove", "path": "title"}


def test_merged_user_overlays_desired_on_current() -> None:
    current = ScimUser(
        id="1",
        user_name="a",
        title="Old",
        nick_name="Nick",
        name=Name(given_name="G", family_name="F"),
        addresses=[Address(type="work", locality="Paris")],
        account_status=AccountStatusDetails(invited=True, claimed=False),
        extra_attributes={"urn:example:x:1.0": {"k": "v"}},
    )
    desired = ScimUser(title="New", name=Name(family_name="Z"), clear={"nickName"})
    merged = merged_user(current, desired)
    assert merged.title == "New" and merged.nick_name is None
    assert merged.name == Name(given_name="G", family_name="Z")
    assert merged.addresses == current.addresses
    wire = merged.to_wire(null_for_clears=True)
    assert wire["nickName"] is None
    assert wire["urn:example:x:1.0"] == {"k": "v"}
    assert wire[ACCOUNT_STATUS_URN] == {"invited": True}
    assert "id" not in wire
