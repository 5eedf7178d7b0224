"""ScimUser: tolerant reading, exact writing, paths and clears."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from scim_helpers import rich_user

from pulumi_workplace.scim import (
    ACCOUNT_STATUS_URN,
    AUTH_METHOD_URN,
    CORE_URN,
    ENTERPRISE_URN,
    FRONTLINE_URN,
    START_TERM_DATES_URN,
    USER_PATHS,
    AccountStatusDetails,
    EnterpriseUser,
    Manager,
    Name,
    ScimUser,
    canonical_path,
    normalise,
)

DEPARTMENT = f"{ENTERPRISE_URN}:department"
MANAGER = f"{ENTERPRISE_URN}:manager"


def test_round_trip_keeps_every_writable_attribute() -> None:
    user = rich_user(3).model_copy(
        update={"enterprise": EnterpriseUser(department="D", manager=Manager(value="42"))}
    )
    back = ScimUser.from_wire(user.to_wire())
    assert back == user
    assert normalise(back) == normalise(user)


def test_schemas_name_exactly_the_extensions_present() -> None:
    wire = rich_user(3).to_wire()
    assert wire["schemas"][0] == CORE_URN
    assert set(wire["schemas"]) == {
        CORE_URN,
        ENTERPRISE_URN,
        START_TERM_DATES_URN,
        AUTH_METHOD_URN,
        FRONTLINE_URN,
    }
    bare = ScimUser(user_name="a@example.com").to_wire()
    assert bare == {"schemas": [CORE_URN], "userName": "a@example.com"}


def test_empty_extension_is_not_emitted() -> None:
    user = ScimUser(user_name="a", enterprise=EnterpriseUser(), start_term_dates=None)
    assert user.to_wire() == {"schemas": [CORE_URN], "userName": "a"}


def test_read_only_attributes_are_never_written() -> None:
    raw = {
        "schemas": [CORE_URN, ACCOUNT_STATUS_URN],
        "id": "100",
        "userName": "a@example.com",
        "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"},
        "groups": [{"value": "7", "display": "Everyone"}],
        ACCOUNT_STATUS_URN: {
            "invited": True,
            "inviteDate": 1700000000,
            "claimed": True,
            "claimDate": 1700000500,
            "claimLink": "https://work.workplace.com/invite/x",
            "accessCode": "secret-code",
        },
        ENTERPRISE_URN: {"manager": {"managerId": "9", "displayName": "Boss", "$ref": "../9"}},
    }
    user = ScimUser.from_wire(raw)
    assert user.id == "100" and user.meta is not None and user.groups is not None
    assert user.account_status == AccountStatusDetails(
        invited=True,
        invite_date=1700000000,
        claimed=True,
        claim_date=1700000500,
        claim_link="https://work.workplace.com/invite/x",
        access_code="secret-code",
    )
    wire = user.to_wire()
    assert "id" not in wire and "meta" not in wire and "groups" not in wire
    assert wire[ACCOUNT_STATUS_URN] == {"invited": True}
    assert wire[ENTERPRISE_URN] == {"manager": {"managerId": "9"}}


@pytest.mark.parametrize(
    ("shape", "expected"), [("managerId", {"managerId": "9"}), ("value", {"value": "9"})]
)
def test_manager_written_in_configured_shape(shape: str, expected: dict[str, str]) -> None:
    user = ScimUser(enterprise=EnterpriseUser(manager=Manager(value="9", display_name="B")))
    assert user.to_wire(shape)[ENTERPRISE_URN]["manager"] == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "manager",
    [{"managerId": "9"}, {"managerID": 9}, {"value": "9"}, {"ManagerId": "9"}, "9", 9],
)
def test_manager_read_in_any_shape(manager: object) -> None:
    user = ScimUser.from_wire({"userName": "a", ENTERPRISE_URN: {"manager": manager}})
    assert user.enterprise is not None and user.enterprise.manager == Manager(value="9")


def test_version_1_urns_map_to_2_0_fields() -> None:
    raw = {
        "schemas": ["urn:scim:schemas:core:1.0", "urn:scim:schemas:extension:enterprise:1.0"],
        "id": 1234567890123,
        "userName": "old@example.com",
        "urn:scim:schemas:extension:enterprise:1.0": {"department": "Sales"},
        "urn:scim:schemas:extension:facebook:starttermdates:1.0": {"startDate": "1700000000"},
        "urn:scim:schemas:extension:facebook:accountstatusdetails:1.0": {"claimed": False},
        "urn:scim:schemas:extension:facebook:auth_method:1.0": {"auth_method": "SSO"},
        "urn:scim:schemas:extension:facebook:frontline:1.0": {"is_frontline": True},
    }
    user = ScimUser.from_wire(raw)
    assert user.id == "1234567890123"
    assert user.get_path(DEPARTMENT) == "Sales"
    assert user.get_path(f"{START_TERM_DATES_URN}:startDate") == 1700000000
    assert user.account_status is not None and user.account_status.claimed is False
    assert user.get_path(f"{AUTH_METHOD_URN}:authMethod") == "sso"
    assert user.get_path(f"{FRONTLINE_URN}:is_frontline") is True
    assert user.extra_attributes == {}
    wire = user.to_wire()
    assert "urn:scim:schemas:extension:enterprise:1.0" not in wire
    assert wire[AUTH_METHOD_URN] == {"authMethod": "sso"}
    assert wire[ENTERPRISE_URN] == {"department": "Sales"}


def test_2_0_values_win_over_1_0_and_1_0_fills_gaps() -> None:
    user = ScimUser.from_wire(
        {
            ENTERPRISE_URN: {"department": "new"},
            "urn:scim:schemas:extension:enterprise:1.0": {"department": "old", "division": "D"},
        }
    )
    assert user.enterprise == EnterpriseUser(department="new", division="D")


def test_core_urn_qualified_attributes_are_read() -> None:
    user = ScimUser.from_wire({"userName": "top", CORE_URN: {"userName": "nested", "title": "T"}})
    assert (user.user_name, user.title) == ("top", "T")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1700000000, 1700000000),
        ("1700000000", 1700000000),
        (1700000000.9, 1700000000),
        ("2023-11-14T22:13:20Z", 1700000000),
        ("2023-11-14T22:13:20+00:00", 1700000000),
        ("2023-11-14T23:13:20+01:00", 1700000000),
        ("2023-11-14T22:13:20", 1700000000),
    ],
)
def test_dates_read_as_epoch_seconds(raw: object, expected: int) -> None:
    user = ScimUser.from_wire({ACCOUNT_STATUS_URN: {"inviteDate": raw}})
    assert user.account_status is not None and user.account_status.invite_date == expected


def test_unparseable_date_is_rejected() -> None:
    with pytest.raises(ValidationError):
        ScimUser.from_wire({START_TERM_DATES_URN: {"startDate": "next tuesday"}})


def test_attribute_names_are_case_insensitive_on_read() -> None:
    user = ScimUser.from_wire(
        {
            "USERNAME": "a@example.com",
            "profileURL": "https://p.example/a",
            "Name": {"GIVENNAME": "A"},
            "externalID": 77,
            ENTERPRISE_URN.upper(): {"Department": "X"},
        }
    )
    assert user.user_name == "a@example.com"
    assert user.profile_url == "https://p.example/a"
    assert user.name == Name(given_name="A")
    assert user.external_id == "77"
    assert user.get_path(DEPARTMENT) == "X"


def test_unknown_attributes_and_extensions_are_kept_and_echoed() -> None:
    raw = {
        "userName": "a",
        "favouriteColour": "teal",
        "urn:example:custom:2.0:User": {"badge": 12},
        "emails": [{"value": "a@example.com", "type": "work", "verified": True}],
    }
    user = ScimUser.from_wire(raw)
    assert user.extra_attributes == {
        "favouriteColour": "teal",
        "urn:example:custom:2.0:User": {"badge": 12},
    }
    wire = user.to_wire()
    assert wire["favouriteColour"] == "teal"
    assert wire["urn:example:custom:2.0:User"] == {"badge": 12}
    assert "urn:example:custom:2.0:User" in wire["schemas"]
    assert wire["emails"] == [{"value": "a@example.com", "type": "work", "verified": True}]


def test_wire_attributes_named_like_local_fields_stay_extras() -> None:
    user = ScimUser.from_wire({"userName": "a", "clear": ["title"], "extraAttributes": 1})
    assert user.clear == frozenset()
    assert user.extra_attributes == {"clear": ["title"], "extraAttributes": 1}


def test_construction_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        ScimUser(user_nmae="typo")  # type: ignore[call-arg]


def test_from_wire_rejects_non_objects() -> None:
    with pytest.raises(TypeError):
        ScimUser.from_wire(["not", "a", "user"])  # type: ignore[arg-type]


def test_id_boolean_is_rejected() -> None:
    with pytest.raises(ValidationError):
        ScimUser.from_wire({"id": True})


def test_clear_paths_are_canonicalised_and_checked() -> None:
    user = ScimUser(clear={"TITLE", "name.givenname", DEPARTMENT.upper()})
    assert user.clear == frozenset({"title", "name.givenName", DEPARTMENT})
    with pytest.raises(ValidationError):
        ScimUser(clear={"meta"})
    with pytest.raises(ValidationError):
        ScimUser(clear={"id"})
    with pytest.raises(ValidationError):
        ScimUser(title="set", clear={"title"})


def test_clear_is_not_a_wire_attribute_unless_asked() -> None:
    user = ScimUser(user_name="a", clear={"title", "name.givenName", DEPARTMENT, "emails"})
    assert user.to_wire() == {"schemas": [CORE_URN], "userName": "a"}
    nulls = user.to_wire(null_for_clears=True)
    assert nulls["title"] is None and nulls["emails"] is None
    assert nulls["name"] == {"givenName": None}
    assert nulls[ENTERPRISE_URN] == {"department": None}
    assert ENTERPRISE_URN in nulls["schemas"]


def test_paths_get_and_set() -> None:
    user = ScimUser().with_path("name.givenName", "G").with_path(MANAGER, Manager(value="5"))
    assert user.get_path("name.givenName") == "G"
    assert user.get_path(MANAGER) == Manager(value="5")
    assert user.with_path("name.givenName", None).get_path("name.givenName") is None
    assert ScimUser().with_path(DEPARTMENT, None).enterprise is None
    for path in USER_PATHS:
        assert canonical_path(path.upper()) == path
        assert ScimUser().get_path(path) is None
    with pytest.raises(ValueError, match="unknown"):
        canonical_path('emails[type eq "work"].value')
