"""Invitations, claims and the refusal to delete claimed accounts."""

from __future__ import annotations

import httpx
import pytest
from emulator_helpers import ACCOUNT, create_user, patch_body


def test_new_accounts_are_invited_and_unclaimed(server, api):
    user = create_user(api, "new@example.com", emails=[{"value": "new@example.com"}])
    status = user[ACCOUNT]
    assert status["invited"] is True
    assert status["claimed"] is False
    assert isinstance(status["inviteDate"], int)
    assert status["claimLink"].startswith("https://")
    assert "accessCode" not in status  # only e-mail-less accounts get one
    assert server.stats()["invitations"] == 1


def test_email_less_accounts_get_an_access_code(api):
    user = create_user(api, "frontline-worker-7", externalId="W7")
    assert user[ACCOUNT]["accessCode"]


def test_uninvited_account_is_invited_later(server, api):
    user = create_user(api, "quiet@example.com", **{ACCOUNT: {"invited": False}})
    assert user[ACCOUNT]["invited"] is False
    assert server.stats()["invitations"] == 0
    response = api.patch(
        f"Users/{user['id']}",
        json=patch_body({"op": "replace", "path": f"{ACCOUNT}:invited", "value": True}),
    )
    assert response.status_code == 200
    assert response.json()[ACCOUNT]["invited"] is True
    assert "inviteDate" in response.json()[ACCOUNT]
    assert server.stats()["invitations"] == 1


def test_claim_then_delete_is_refused(server, api):
    user = create_user(api, "claimed@example.com")
    claimed = httpx.post(f"{server.url}_emulator/users/{user['id']}/claim")
    assert claimed.status_code == 200
    assert claimed.json()[ACCOUNT]["claimed"] is True
    assert isinstance(claimed.json()[ACCOUNT]["claimDate"], int)
    assert api.get(f"Users/{user['id']}").json()[ACCOUNT]["claimed"] is True

    response = api.delete(f"Users/{user['id']}")
    assert response.status_code == 400
    assert "deactivate" in response.json()["detail"]
    assert api.get(f"Users/{user['id']}").status_code == 200

    deactivated = api.patch(
        f"Users/{user['id']}", json=patch_body({"op": "replace", "path": "active", "value": False})
    )
    assert deactivated.status_code == 200
    assert api.delete(f"Users/{user['id']}").status_code == 400  # still claimed


def test_delete_claimed_status_is_configurable(make_emulator, make_client):
    server = make_emulator(delete_claimed_status=409)
    client = make_client(server)
    user = create_user(client, "c@example.com")
    server.mark_claimed(user["id"])
    assert client.delete(f"Users/{user['id']}").status_code == 409


def test_claim_of_unknown_user(server):
    assert httpx.post(f"{server.url}_emulator/users/1/claim").status_code == 404
    with pytest.raises(KeyError):
        server.mark_claimed("1")
