"""PATCH forms: simple, URN-qualified and value-filter paths; add, remove; strict mode."""

from __future__ import annotations

import pytest
from emulator_helpers import ACCOUNT, AUTH_METHOD, ENTERPRISE, create_user, patch_body


@pytest.fixture
def user(api):
    return create_user(
        api,
        "patch@example.com",
        title="Engineer",
        emails=[
            {"value": "patch@example.com", "type": "work", "primary": True},
            {"value": "home@example.net", "type": "home"},
        ],
        **{ENTERPRISE: {"department": "R&D"}},
    )


def _patch(api, user, *operations):
    return api.patch(f"Users/{user['id']}", json=patch_body(*operations))


def test_replace_simple_path_answers_200_with_the_user(api, user):
    response = _patch(api, user, {"op": "replace", "path": "active", "value": False})
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert api.get(f"Users/{user['id']}").json()["active"] is False


def test_replace_urn_qualified_paths(api, user):
    response = _patch(
        api,
        user,
        {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Sales"},
        {"op": "replace", "path": f"{AUTH_METHOD}:authMethod", "value": "sso"},
    )
    assert response.status_code == 200
    stored = api.get(f"Users/{user['id']}").json()
    assert stored[ENTERPRISE]["department"] == "Sales"
    assert stored[AUTH_METHOD]["authMethod"] == "sso"


def test_replace_value_filter_path(api, user):
    response = _patch(
        api,
        user,
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "new@example.com"},
    )
    assert response.status_code == 200
    emails = {e["type"]: e["value"] for e in api.get(f"Users/{user['id']}").json()["emails"]}
    assert emails == {"work": "new@example.com", "home": "home@example.net"}


def test_add_and_remove(api, user):
    added = _patch(
        api, user, {"op": "add", "path": "phoneNumbers", "value": [{"value": "+1", "type": "work"}]}
    )
    assert added.status_code == 200
    removed = _patch(api, user, {"op": "remove", "path": "title"})
    assert removed.status_code == 200
    stored = api.get(f"Users/{user['id']}").json()
    assert stored["phoneNumbers"] == [{"value": "+1", "type": "work"}]
    assert "title" not in stored


def test_replace_without_path(api, user):
    response = _patch(api, user, {"op": "replace", "value": {"title": "Lead", "nickName": "P"}})
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["nickName"]) == ("Lead", "P")


def test_server_managed_account_status_is_read_only(api, user):
    response = _patch(api, user, {"op": "replace", "path": f"{ACCOUNT}:claimed", "value": True})
    assert response.status_code == 400
    assert response.json()["scimType"] == "mutability"


def test_simple_only_mode_rejects_add_remove_and_filters(make_emulator, make_client):
    client = make_client(make_emulator(patch_simple_only=True))
    user = create_user(client, "strict@example.com", emails=[{"value": "s@x.com", "type": "work"}])
    refused = [
        _patch(client, user, {"op": "add", "path": "title", "value": "X"}),
        _patch(client, user, {"op": "remove", "path": "title"}),
        _patch(
            client, user, {"op": "replace", "path": 'emails[type eq "work"].value', "value": "a"}
        ),
    ]
    assert [r.status_code for r in refused] == [400, 400, 400]
    assert refused[2].json()["scimType"] == "invalidPath"
    accepted = [
        _patch(client, user, {"op": "replace", "path": "title", "value": "Y"}),
        _patch(client, user, {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Z"}),
    ]
    assert [r.status_code for r in accepted] == [200, 200]
