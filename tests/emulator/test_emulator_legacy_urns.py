"""SCIM 1.0 extension URNs: accepted and stored in 2.0 form, or refused by configuration."""

from __future__ import annotations

from emulator_helpers import (
    AUTH_METHOD,
    AUTH_METHOD_V1,
    CORE,
    ENTERPRISE,
    ENTERPRISE_V1,
    FRONTLINE,
    START_TERM,
    START_TERM_V1,
    patch_body,
)

V1_BODY = {
    "schemas": [CORE, ENTERPRISE_V1, START_TERM_V1, AUTH_METHOD_V1, FRONTLINE],
    "userName": "legacy@example.com",
    ENTERPRISE_V1: {"department": "Ops", "employeeNumber": "42"},
    START_TERM_V1: {"startDate": 1700000000, "termDate": 0},
    AUTH_METHOD_V1: {"auth_method": "sso"},
    FRONTLINE: {"is_frontline": True},
}


def test_v1_urns_are_stored_as_v2(api):
    response = api.post("Users", json=V1_BODY)
    assert response.status_code == 201, response.text
    stored = api.get(f"Users/{response.json()['id']}").json()
    assert stored[ENTERPRISE] == {"department": "Ops", "employeeNumber": "42"}
    assert stored[START_TERM] == {"startDate": 1700000000, "termDate": 0}
    assert stored[AUTH_METHOD] == {"authMethod": "sso"}
    assert stored[FRONTLINE] == {"is_frontline": True}
    assert not {ENTERPRISE_V1, START_TERM_V1, AUTH_METHOD_V1} & set(stored)
    assert not {ENTERPRISE_V1, START_TERM_V1, AUTH_METHOD_V1} & set(stored["schemas"])


def test_v1_patch_paths_are_translated(api):
    user = api.post("Users", json=V1_BODY).json()
    response = api.patch(
        f"Users/{user['id']}",
        json=patch_body(
            {"op": "replace", "path": f"{ENTERPRISE_V1}:department", "value": "Finance"},
            {"op": "replace", "path": f"{AUTH_METHOD_V1}:auth_method", "value": "password"},
            {"op": "replace", "path": f"{ENTERPRISE_V1}.division", "value": "EMEA"},
        ),
    )
    assert response.status_code == 200, response.text
    stored = api.get(f"Users/{user['id']}").json()
    assert stored[ENTERPRISE]["department"] == "Finance"
    assert stored[ENTERPRISE]["division"] == "EMEA"
    assert stored[AUTH_METHOD]["authMethod"] == "password"


def test_reject_mode_refuses_v1_urns(make_emulator, make_client):
    server = make_emulator(reject_v1_urns=True)
    client = make_client(server)
    response = client.post("Users", json=V1_BODY)
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert "1.0" in response.json()["detail"]
    assert server.users() == []

    v2 = {
        "schemas": [CORE, FRONTLINE],
        "userName": "ok@example.com",
        FRONTLINE: {"is_frontline": True},
    }
    created = client.post("Users", json=v2)
    assert created.status_code == 201  # frontline has only a 1.0 URN: always accepted
    refused = client.patch(
        f"Users/{created.json()['id']}",
        json=patch_body({"op": "replace", "path": f"{ENTERPRISE_V1}:department", "value": "X"}),
    )
    assert refused.status_code == 400


def test_v1_values_without_attribute_paths(api):
    user = api.post("Users", json=V1_BODY).json()
    response = api.patch(
        f"Users/{user['id']}",
        json=patch_body(
            {"op": "replace", "value": {ENTERPRISE_V1: {"costCenter": "CC9"}}},
            {"op": "replace", "path": AUTH_METHOD_V1, "value": {"auth_method": "password"}},
        ),
    )
    assert response.status_code == 200, response.text
    stored = api.get(f"Users/{user['id']}").json()
    assert stored[ENTERPRISE]["costCenter"] == "CC9"
    assert stored[AUTH_METHOD] == {"authMethod": "password"}


def test_v2_values_win_over_v1_twins(api):
    body = {
        "schemas": [CORE, ENTERPRISE, ENTERPRISE_V1],
        "userName": "both@example.com",
        ENTERPRISE_V1: {"department": "old", "division": "kept"},
        ENTERPRISE: {"department": "new"},
    }
    created = api.post("Users", json=body)
    assert created.status_code == 201, created.text
    assert created.json()[ENTERPRISE] == {"department": "new", "division": "kept"}
