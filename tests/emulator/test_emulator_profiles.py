"""The profiles: Workplace (default), Meta Work Accounts and a generic RFC 7643/7644 host."""

from __future__ import annotations

import argparse

import httpx
import pytest
from emulator_helpers import (
    ACCOUNT,
    AUTH_METHOD,
    CORE,
    ENTERPRISE,
    ENTERPRISE_V1,
    ERROR,
    FRONTLINE,
    START_TERM,
    TOKEN,
    create_user,
    search,
    user_body,
)

from pulumi_workplace.emulator import EmulatorConfig
from pulumi_workplace.emulator._cli import _config, add_parser
from pulumi_workplace.emulator.profiles import PROFILES

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
DISCOVERY = [
    "ServiceProviderConfig",
    "ServiceProviderConfigs",
    "Schemas",
    f"Schemas/{CORE}",
    "Schemas/Users",
    "ResourceTypes",
    "ResourceTypes/User",
]


@pytest.fixture
def work_accounts(make_emulator, make_client) -> httpx.Client:
    return make_client(make_emulator(profile="work-accounts"))


@pytest.fixture
def generic_server(make_emulator):
    return make_emulator(profile="generic")


@pytest.fixture
def generic(generic_server, make_client) -> httpx.Client:
    return make_client(generic_server)


def _is_scim_error(response: httpx.Response, status: int) -> bool:
    body = response.json()
    return response.status_code == status and body["schemas"] == [ERROR]


# -- Configuration and command line ------------------------------------------


def test_profile_sets_defaults_that_explicit_values_override():
    workplace = EmulatorConfig()
    assert (workplace.profile, workplace.manager_shape, workplace.discovery) == (
        "workplace",
        "both",
        True,
    )
    assert workplace.reject_v1_urns is False
    accounts = EmulatorConfig(profile="work-accounts")
    assert (accounts.manager_shape, accounts.discovery, accounts.reject_v1_urns) == (
        "value",
        False,
        True,
    )
    overridden = EmulatorConfig(profile="work-accounts", manager_shape="both", discovery=True)
    assert (overridden.manager_shape, overridden.discovery) == ("both", True)
    assert EmulatorConfig(profile="generic").manager_shape == "value"
    assert EmulatorConfig(profile="generic").profile_spec is PROFILES["generic"]
    with pytest.raises(ValueError, match="profile"):
        EmulatorConfig(profile="workplace-v1")  # type: ignore[arg-type]


def _cli_config(*args: str) -> EmulatorConfig:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    return _config(parser.parse_args(["emulator", *args]), TOKEN)


def test_cli_profile_and_overrides():
    assert _cli_config() == EmulatorConfig(token=TOKEN)
    accounts = _cli_config("--profile", "work-accounts")
    assert (accounts.profile, accounts.manager_shape, accounts.discovery) == (
        "work-accounts",
        "value",
        False,
    )
    assert accounts.reject_v1_urns is True
    overridden = _cli_config(
        *("--profile", "work-accounts", "--discovery", "--manager-shape", "both"),
        "--no-reject-v1-urns",
    )
    assert (overridden.discovery, overridden.manager_shape, overridden.reject_v1_urns) == (
        True,
        "both",
        False,
    )
    assert _cli_config("--no-discovery", "--reject-v1-urns").model_dump(
        include={"discovery", "reject_v1_urns"}
    ) == {"discovery": False, "reject_v1_urns": True}


# -- Meta Work Accounts --------------------------------------------------------


def test_work_accounts_serves_users_only(work_accounts):
    for path in [*DISCOVERY, "Groups", "Groups/1", "Users/.search", ".search"]:
        response = work_accounts.get(path)
        assert _is_scim_error(response, 404), path
    assert work_accounts.post(".search", json={}).status_code == 404
    assert work_accounts.get("Users").status_code == 200


def test_work_accounts_filters_on_user_name_only(work_accounts):
    user = create_user(work_accounts, "Someone@example.com", externalId="E1")
    assert [u["id"] for u in search(work_accounts, 'userName eq "someone@example.com"')] == [
        user["id"]
    ]
    assert len(search(work_accounts, f'{CORE}:userName eq "someone@example.com"')) == 1
    for refused in [
        'externalId eq "E1"',
        'userName sw "some"',
        'userName eq "someone@example.com" and active eq true',
        'name.givenName eq "x"',
        "userName pr",
    ]:
        response = work_accounts.get("Users", params={"filter": refused})
        assert _is_scim_error(response, 400), refused
        assert response.json()["scimType"] == "invalidFilter"
        assert "Only userName is filterable" in response.json()["detail"]


def test_work_accounts_manager_is_value_only(work_accounts, make_emulator, make_client):
    boss = create_user(work_accounts, "boss@example.com")
    report = create_user(
        work_accounts, "r@example.com", **{ENTERPRISE: {"manager": {"value": boss["id"]}}}
    )
    assert report[ENTERPRISE]["manager"] == {"value": boss["id"]}
    assert work_accounts.get(f"Users/{report['id']}").json()[ENTERPRISE]["manager"] == {
        "value": boss["id"]
    }
    refused = work_accounts.post(
        "Users",
        json=user_body("m@example.com", **{ENTERPRISE: {"manager": {"managerId": boss["id"]}}}),
    )
    assert refused.status_code == 400
    assert "send manager.value" in refused.json()["detail"]
    unknown = work_accounts.post(
        "Users", json=user_body("u@example.com", **{ENTERPRISE: {"manager": {"value": "404"}}})
    )
    assert unknown.status_code == 400  # Meta's rule: the manager must exist

    both = make_client(make_emulator(profile="work-accounts", manager_shape="both"))
    boss = create_user(both, "boss@example.com")
    create_user(both, "m@example.com", **{ENTERPRISE: {"manager": {"managerId": boss["id"]}}})


def test_work_accounts_keeps_the_2_0_facebook_extensions_only(work_accounts, api):
    user = create_user(
        work_accounts,
        "ext@example.com",
        **{
            START_TERM: {"startDate": 1700000000},
            AUTH_METHOD: {"authMethod": "sso"},
            ACCOUNT: {"invited": False},
        },
    )
    assert user[START_TERM] == {"startDate": 1700000000}
    assert user[AUTH_METHOD] == {"authMethod": "sso"}
    assert user[ACCOUNT]["invited"] is False and user[ACCOUNT]["claimed"] is False
    body = user_body("f@example.com", **{FRONTLINE: {"is_frontline": True}})
    frontline = work_accounts.post("Users", json=body)
    assert frontline.status_code == 400
    assert FRONTLINE in frontline.json()["detail"]
    assert api.post("Users", json=body).status_code == 201  # Workplace takes it


def test_work_accounts_refuses_v1_urns_unless_told(work_accounts, make_emulator, make_client):
    body = user_body("v1@example.com", **{ENTERPRISE_V1: {"department": "Sales"}})
    refused = work_accounts.post("Users", json=body)
    assert refused.status_code == 400
    assert "1.0" in refused.json()["detail"]
    tolerant = make_client(make_emulator(profile="work-accounts", reject_v1_urns=False))
    created = tolerant.post("Users", json=body)
    assert created.status_code == 201
    assert created.json()[ENTERPRISE] == {"department": "Sales"}


def test_work_accounts_keeps_meta_account_rules(make_emulator, make_client):
    server = make_emulator(profile="work-accounts")
    client = make_client(server)
    user = create_user(client, "claimed@example.com")
    assert server.stats()["invitations"] == 1
    server.mark_claimed(user["id"])
    assert client.delete(f"Users/{user['id']}").status_code == 400
    no_agent = make_client(server, headers={"Authorization": f"Bearer {TOKEN}", "User-Agent": ""})
    assert no_agent.get("Users").status_code == 400


def test_work_accounts_discovery_override_lists_no_frontline(make_emulator, make_client):
    client = make_client(make_emulator(profile="work-accounts", discovery=True))
    schemas = {s["id"] for s in client.get("Schemas").json()["Resources"]}
    assert schemas == {CORE, ENTERPRISE, START_TERM, ACCOUNT, AUTH_METHOD}
    assert client.get("ServiceProviderConfigs").status_code == 200  # Meta's plural path


# -- Generic RFC 7643/7644 ---------------------------------------------------------


def test_generic_discovery_is_plain_rfc(generic):
    schemas = {s["id"] for s in generic.get("Schemas").json()["Resources"]}
    assert schemas == {CORE, ENTERPRISE, GROUP}
    resource_types = {rt["id"]: rt for rt in generic.get("ResourceTypes").json()["Resources"]}
    assert set(resource_types) == {"User", "Group"}
    assert resource_types["User"]["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert resource_types["Group"]["endpoint"] == "/Groups"
    assert generic.get("ServiceProviderConfig").status_code == 200
    # Workplace's spellings are not RFC paths.
    assert _is_scim_error(generic.get("ServiceProviderConfigs"), 404)
    assert _is_scim_error(generic.get("Schemas/Users"), 404)
    manager = next(
        a
        for a in generic.get(f"Schemas/{ENTERPRISE}").json()["attributes"]
        if a["name"] == "manager"
    )
    assert {sub["name"]: sub["required"] for sub in manager["subAttributes"]} == {
        "value": False,
        "$ref": False,
        "displayName": False,
    }


def test_generic_has_no_meta_extensions_or_v1_urns(generic):
    for urn, value in [
        (ACCOUNT, {"invited": False}),
        (START_TERM, {"startDate": 1}),
        (AUTH_METHOD, {"authMethod": "sso"}),
        (FRONTLINE, {"is_frontline": True}),
        (ENTERPRISE_V1, {"department": "Sales"}),
    ]:
        response = generic.post("Users", json=user_body("x@example.com", **{urn: value}))
        assert _is_scim_error(response, 400), urn
        assert urn in response.json()["detail"]
    user = create_user(generic, "plain@example.com")
    assert set(user) == {"schemas", "id", "meta", "userName", "name"}


def test_generic_manager_is_rfc_value(generic):
    boss = create_user(generic, "boss@example.com")
    report = create_user(
        generic, "r@example.com", **{ENTERPRISE: {"manager": {"value": boss["id"]}}}
    )
    assert generic.get(f"Users/{report['id']}").json()[ENTERPRISE]["manager"] == {
        "value": boss["id"]
    }
    # No Meta rule: the id need not name a user; and managerId is not an RFC attribute.
    create_user(generic, "u@example.com", **{ENTERPRISE: {"manager": {"value": "elsewhere"}}})
    refused = generic.post(
        "Users",
        json=user_body("m@example.com", **{ENTERPRISE: {"manager": {"managerId": boss["id"]}}}),
    )
    assert _is_scim_error(refused, 400)
    assert "managerId" in refused.json()["detail"]


def test_generic_has_none_of_the_meta_rules(generic_server, generic, make_client):
    user = create_user(generic, "a@example.com")
    assert generic_server.stats()["invitations"] == 0
    with pytest.raises(ValueError, match="no account claims"):
        generic_server.mark_claimed(user["id"])
    assert httpx.post(f"{generic_server.url}_emulator/users/{user['id']}/claim").status_code == 400
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    no_agent = make_client(generic_server, headers={**bearer, "User-Agent": ""})
    assert no_agent.get("Users").status_code == 200
    assert generic.delete(f"Users/{user['id']}").status_code == 204
    # Any filter scim2-server evaluates.
    create_user(generic, "b@example.com", externalId="B")
    assert len(search(generic, 'externalId eq "B" or userName sw "zzz"')) == 1


def test_generic_serves_groups_and_search(generic_server, generic):
    user = create_user(generic, "member@example.com")
    created = generic.post(
        "Groups",
        json={"schemas": [GROUP], "displayName": "Sales", "members": [{"value": user["id"]}]},
    )
    assert created.status_code == 201
    group = created.json()
    assert group["members"][0]["value"] == user["id"]
    assert generic.get(f"Groups/{group['id']}").json()["displayName"] == "Sales"
    found = generic.post(
        ".search",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'displayName eq "Sales"',
        },
    ).json()
    assert [r["id"] for r in found["Resources"]] == [group["id"]]
    assert [u["id"] for u in generic_server.users()] == [user["id"]]  # users only
    assert generic.delete(f"Groups/{group['id']}").status_code == 204
    assert generic_server.stats()["by_kind"] == {
        "users": 1,
        "user": 0,
        "discovery": 0,
        "groups": 1,
        "group": 2,
        "search": 1,
    }


def test_generic_persists_groups_with_users(make_emulator, make_client, tmp_path):
    data_file = tmp_path / "generic.jsonl"
    server = make_emulator(profile="generic", data_file=data_file)
    client = make_client(server)
    user = create_user(client, "kept@example.com")
    group = client.post("Groups", json={"schemas": [GROUP], "displayName": "Kept"}).json()
    server.stop()

    again = make_client(make_emulator(profile="generic", data_file=data_file))
    assert again.get(f"Users/{user['id']}").status_code == 200
    assert again.get(f"Groups/{group['id']}").json()["displayName"] == "Kept"
    listed = again.get("Groups").json()
    assert [g["id"] for g in listed["Resources"]] == [group["id"]]
