"""PUT semantics: RFC replace (omitted attributes cleared) or Workplace-style merge."""

from __future__ import annotations

import pytest
from emulator_helpers import ACCOUNT, ENTERPRISE, create_user, user_body


def _full_user(api):
    return create_user(
        api,
        "put@example.com",
        title="Engineer",
        nickName="Putty",
        **{ENTERPRISE: {"department": "R&D", "costCenter": "CC1"}},
    )


def test_replace_clears_omitted_attributes(api):
    user = _full_user(api)
    body = user_body("put@example.com", **{ENTERPRISE: {"department": "Sales"}})
    response = api.put(f"Users/{user['id']}", json=body)
    assert response.status_code == 200
    stored = api.get(f"Users/{user['id']}").json()
    assert "title" not in stored
    assert "nickName" not in stored
    assert stored[ENTERPRISE] == {"department": "Sales"}


def test_merge_keeps_omitted_attributes(make_emulator, make_client):
    client = make_client(make_emulator(put_semantics="merge"))
    user = _full_user(client)
    body = {"schemas": user["schemas"], "active": False, ENTERPRISE: {"department": "Sales"}}
    response = client.put(f"Users/{user['id']}", json=body)
    assert response.status_code == 200
    stored = client.get(f"Users/{user['id']}").json()
    assert stored["active"] is False
    assert (stored["title"], stored["nickName"], stored["userName"]) == (
        "Engineer",
        "Putty",
        "put@example.com",
    )
    assert stored[ENTERPRISE] == {"department": "Sales", "costCenter": "CC1"}


def test_merge_clears_explicit_nulls(make_emulator, make_client):
    client = make_client(make_emulator(put_semantics="merge"))
    user = _full_user(client)
    response = client.put(f"Users/{user['id']}", json={"schemas": user["schemas"], "title": None})
    assert response.status_code == 200
    assert "title" not in client.get(f"Users/{user['id']}").json()


@pytest.mark.parametrize("semantics", ["replace", "merge"])
def test_account_status_survives_a_put(make_emulator, make_client, semantics):
    server = make_emulator(put_semantics=semantics)
    api = make_client(server)
    user = create_user(api, "claimed@example.com")
    server.mark_claimed(user["id"])
    response = api.put(f"Users/{user['id']}", json=user_body("claimed@example.com"))
    assert response.status_code == 200
    status = api.get(f"Users/{user['id']}").json()[ACCOUNT]
    assert status["claimed"] is True
    assert status["invited"] is True
    assert status["claimLink"] == user[ACCOUNT]["claimLink"]
