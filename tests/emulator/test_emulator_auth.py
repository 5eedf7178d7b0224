"""Authentication, User-Agent, permission and read-only rules."""

from __future__ import annotations

import httpx
from emulator_helpers import AUTH, ERROR, TOKEN, USER_AGENT, create_user, patch_body, user_body


def test_missing_token_is_401_with_rfc_error(server, make_client):
    client = make_client(server, headers={"User-Agent": USER_AGENT})
    response = client.get("Users")
    assert response.status_code == 401
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == "401"
    assert body["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_token_and_wrong_scheme_are_401(server, make_client):
    wrong = make_client(server, headers={"Authorization": "Bearer nope", "User-Agent": "x"})
    basic = make_client(server, headers={"Authorization": f"Basic {TOKEN}", "User-Agent": "x"})
    assert wrong.get("Users").status_code == 401
    assert basic.post("Users", json=user_body("a@example.com")).status_code == 401
    assert server.users() == []


def test_token_is_never_echoed(server, make_client):
    client = make_client(server, headers={"Authorization": "Bearer guess", "User-Agent": "x"})
    assert TOKEN not in client.get("Users").text


def test_user_agent_is_required(server, make_client):
    empty = make_client(server, headers={**AUTH, "User-Agent": ""})
    assert empty.get("Users").status_code == 400
    absent = make_client(server)
    del absent.headers["User-Agent"]
    response = absent.post("Users", json=user_body("a@example.com"))
    assert response.status_code == 400
    assert "User-Agent" in response.json()["detail"]
    assert server.users() == []


def test_discovery_also_needs_the_token(server, make_client):
    client = make_client(server, headers={"User-Agent": USER_AGENT})
    assert client.get("ServiceProviderConfig").status_code == 401


def test_permission_denied_answers_403_to_everything(make_emulator, make_client):
    server = make_emulator(permission_denied=True)
    client = make_client(server)
    assert client.get("Users").status_code == 403
    assert client.post("Users", json=user_body("a@example.com")).status_code == 403
    assert client.get("ServiceProviderConfig").status_code == 403
    # The token is checked first: a bad token is still 401.
    assert make_client(server, headers={"User-Agent": "x"}).get("Users").status_code == 401


def test_read_only_refuses_writes_but_serves_reads(make_emulator, make_client, tmp_path):
    data_file = tmp_path / "org.jsonl"
    writable = make_emulator(data_file=data_file)
    user = create_user(make_client(writable), "kept@example.com")
    writable.stop()

    server = make_emulator(data_file=data_file, read_only=True)
    client = make_client(server)
    assert client.get(f"Users/{user['id']}").status_code == 200
    writes = [
        client.post("Users", json=user_body("new@example.com")),
        client.put(f"Users/{user['id']}", json=user_body("kept@example.com")),
        client.patch(
            f"Users/{user['id']}",
            json=patch_body({"op": "replace", "path": "active", "value": False}),
        ),
        client.delete(f"Users/{user['id']}"),
    ]
    assert [response.status_code for response in writes] == [403] * 4
    assert all("read-only" in response.json()["detail"] for response in writes)
    assert [u["userName"] for u in server.users()] == ["kept@example.com"]


def test_admin_endpoints_need_no_token(server):
    response = httpx.get(f"{server.url}_emulator/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
