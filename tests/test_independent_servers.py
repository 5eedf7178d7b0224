"""The independent SCIM servers of tests/servers/ start, answer plain SCIM 2.0, count requests
and stop cleanly. What each one does differently is asserted here as observed, so a change in a
new release of SCIMMY or scim2-server shows up in this file first."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import servers
from servers import IndependentServer, ServerStartError

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module", params=["scimmy", "scim2-server"])
def server(request: pytest.FixtureRequest) -> Iterator[IndependentServer]:
    """One server of each kind for this module's behaviour tests (starting one takes ~0.5-1 s):
    each test uses user names of its own, and its `client` resets the request counts."""
    started = servers.start_scimmy if request.param == "scimmy" else servers.start_scim2_server
    with started(servers.INDEPENDENT_SERVER_TOKEN) as running:
        yield running


@pytest.fixture
def client(server: IndependentServer) -> Iterator[httpx.Client]:
    server.reset_counts()
    headers = {"Authorization": f"Bearer {server.token}", "Accept": "application/scim+json"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10, trust_env=False) as c:
        yield c


def new_user(user_name: str, **extra: object) -> dict[str, object]:
    return {"schemas": [CORE_USER], "userName": user_name, **extra}


def patch(*operations: dict[str, object]) -> dict[str, object]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def test_create_find_patch_get_and_counts(server: IndependentServer, client: httpx.Client) -> None:
    config = client.get("ServiceProviderConfig")
    assert config.status_code == 200
    assert config.json()["patch"]["supported"] is True
    assert config.json()["filter"]["supported"] is True

    created = client.post("Users", json=new_user("ada@example.com", active=True))
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert created.json()["userName"] == "ada@example.com"
    # meta.location points back through the proxy: both build it from the Host header.
    assert created.json()["meta"]["location"] == f"{server.url}Users/{user_id}"

    found = client.get("Users", params={"filter": 'userName eq "ada@example.com"'})
    assert found.status_code == 200
    assert found.json()["totalResults"] == 1
    assert [r["id"] for r in found.json()["Resources"]] == [user_id]

    patched = client.patch(
        f"Users/{user_id}", json=patch({"op": "replace", "path": "active", "value": False})
    )
    if server.name == "scimmy":
        assert patched.status_code == 200
        assert patched.json()["active"] is False
    else:
        # scim2-server answers every PATCH without `attributes` 204, no body (RFC 7644 §3.5.2).
        assert patched.status_code == 204
        assert patched.content == b""

    fetched = client.get(f"Users/{user_id}")
    assert fetched.status_code == 200
    assert fetched.json()["active"] is False

    assert server.counts() == {"GET": 3, "POST": 1, "PUT": 0, "PATCH": 1, "DELETE": 0}
    assert server.writes() == 2
    server.reset_counts()
    assert server.writes() == 0
    assert server.counts()["GET"] == 0


def test_duplicate_user_name_is_409_uniqueness(
    server: IndependentServer, client: httpx.Client
) -> None:
    assert client.post("Users", json=new_user("bo@example.com")).status_code == 201
    for duplicate in ("bo@example.com", "BO@example.com"):
        again = client.post("Users", json=new_user(duplicate))
        assert again.status_code == 409, (duplicate, again.text)
        assert again.json()["schemas"] == [ERROR]
        assert again.json()["scimType"] == "uniqueness"
    # Uniqueness is case-insensitive on both, but only scim2-server's `eq` filter on userName is:
    # SCIMMY's filter compares case-exactly.
    upper = client.get("Users", params={"filter": 'userName eq "BO@example.com"'})
    assert upper.json()["totalResults"] == (0 if server.name == "scimmy" else 1)


def test_put_replaces_and_delete_removes(server: IndependentServer, client: httpx.Client) -> None:
    user_id = client.post("Users", json=new_user("cy@example.com", title="Eng")).json()["id"]
    replaced = client.put(f"Users/{user_id}", json=new_user("cy@example.com", active=False))
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["active"] is False
    assert "title" not in replaced.json()
    assert client.delete(f"Users/{user_id}").status_code == 204
    assert client.get(f"Users/{user_id}").status_code == 404
    assert server.writes() == 3


def test_enterprise_extension_and_filters(server: IndependentServer, client: httpx.Client) -> None:
    client.post("Users", json=new_user("plain@example.com"))  # no emails, no extension
    body = new_user(
        "di@example.com",
        externalId="ext-di",
        emails=[{"value": "di@example.com", "type": "work", "primary": True}],
        **{ENTERPRISE: {"employeeNumber": "42", "manager": {"value": "m-1", "displayName": "M"}}},
    )
    body["schemas"] = [CORE_USER, ENTERPRISE]
    created = client.post("Users", json=body)
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["emails"][0]["type"] == "work"
    # manager.displayName is read-only in RFC 7643 §4.3: scim2-server drops it, SCIMMY keeps it.
    manager = {"value": "m-1", "displayName": "M"} if server.name == "scimmy" else {"value": "m-1"}
    assert user[ENTERPRISE]["manager"] == manager
    for expression in (
        'externalId eq "ext-di"',
        f'{ENTERPRISE}:employeeNumber eq "42"',
        'emails[type eq "work"].value eq "di@example.com"',
    ):
        found = client.get("Users", params={"filter": expression})
        assert found.status_code == 200, (expression, found.text)
        assert [r["userName"] for r in found.json()["Resources"]] == ["di@example.com"], expression


def test_paging_through_many_users(server: IndependentServer, client: httpx.Client) -> None:
    for n in range(45):
        assert client.post("Users", json=new_user(f"page{n:03}@example.com")).status_code == 201
    names = {"filter": 'userName sw "page"'}
    seen: list[str] = []
    for start in (1, 21, 41):
        page = client.get("Users", params={**names, "startIndex": start, "count": 20}).json()
        assert page["totalResults"] == 45
        assert page["startIndex"] == start
        seen += [r["userName"] for r in page["Resources"]]
    assert sorted(seen) == [f"page{n:03}@example.com" for n in range(45)]
    # Past the end, and the default page size without `count`: the servers differ, so a client
    # must stop on totalResults, never wait for an empty page, and never trust itemsPerPage alone.
    past = client.get("Users", params={**names, "startIndex": 46, "count": 20}).json()
    default = client.get("Users", params=names).json()
    if server.name == "scimmy":
        # SCIMMY ignores a startIndex past the end and serves the first page again.
        assert len(past["Resources"]) == 20
        assert len(default["Resources"]) == 20
        assert default["itemsPerPage"] == 20
        # itemsPerPage is the count asked for, not the number of resources on the page.
        last = client.get("Users", params={**names, "startIndex": 41, "count": 20}).json()
        assert (len(last["Resources"]), last["itemsPerPage"]) == (5, 20)
    else:
        assert past.get("Resources", []) == []
        assert len(default["Resources"]) == 45


def test_requests_without_the_token_get_401(server: IndependentServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10, trust_env=False) as anonymous:
        assert anonymous.get("Users").status_code == 401
        wrong = anonymous.get("Users", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        # RFC 7643 §5: scim2-server serves its configuration to anyone; SCIMMY does not.
        config = anonymous.get("ServiceProviderConfig").status_code
        assert config == (401 if server.name == "scimmy" else 200)


@pytest.mark.parametrize("fixture", ["scimmy_server", "scim2_server"])
def test_fixture_server_stops_leaving_no_process_and_no_port(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    server: IndependentServer = request.getfixturevalue(fixture)
    assert (
        httpx.get(
            f"{server.url}ServiceProviderConfig",
            headers={"Authorization": f"Bearer {server.token}"},
            trust_env=False,
        ).status_code
        == 200
    )
    pid, proxy_port = server.process.pid, server.proxy.port
    upstream_port = int(server.upstream.rsplit(":", 1)[1])
    server.stop()  # the fixture's teardown stops it again: a no-op
    assert server.process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    for port in (proxy_port, upstream_port):
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            pass


def test_scimmy_without_setup_says_make_setup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(servers, "SCIMMY_DIR", tmp_path)
    with pytest.raises(ServerStartError, match="make setup"):
        servers.start_scimmy("t")
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(ServerStartError, match=r"node.*make setup"):
        servers.start_scimmy("t")
