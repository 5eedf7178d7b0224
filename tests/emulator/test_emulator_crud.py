"""Create, read, replace and delete users; ids, meta and the status code switches."""

from __future__ import annotations

from emulator_helpers import CORE, ERROR, create_user, user_body


def test_create_assigns_numeric_ids_meta_and_location(server, api):
    first = create_user(api, "first@example.com", externalId="ext-1")
    response = api.post("Users", json=user_body("second@example.com"))
    assert response.status_code == 201
    second = response.json()

    assert first["id"] == "100000000000001"
    assert second["id"] == "100000000000002"
    assert CORE in second["schemas"]
    meta = second["meta"]
    assert meta["resourceType"] == "User"
    assert meta["location"] == f"{server.url}Users/{second['id']}"
    assert response.headers["Location"] == meta["location"]
    assert response.headers["ETag"] == meta["version"]
    assert meta["created"] == meta["lastModified"]
    assert first["externalId"] == "ext-1"


def test_get_put_delete_round_trip(api):
    user = create_user(api, "round@example.com", title="Engineer")
    path = f"Users/{user['id']}"

    fetched = api.get(path)
    assert fetched.status_code == 200
    assert fetched.json()["title"] == "Engineer"

    replaced = api.put(path, json={**user_body("round@example.com"), "title": "Manager"})
    assert replaced.status_code == 200
    assert replaced.json()["title"] == "Manager"
    assert replaced.json()["meta"]["version"] != user["meta"]["version"]

    deleted = api.delete(path)
    assert deleted.status_code == 204
    assert deleted.content == b""
    missing = api.get(path)
    assert missing.status_code == 404
    assert missing.json()["schemas"] == [ERROR]


def test_unknown_paths_are_404(api):
    assert api.get("Users/999").status_code == 404
    assert api.get("Groups").status_code == 404
    assert api.get("v2/Users").status_code == 404
    assert api.post("Bulk", json={}).status_code == 404


def test_invalid_body_is_400(api):
    response = api.post("Users", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert (
        api.post("Users", json={"schemas": [CORE], "userName": "x", "bogus": 1}).status_code == 400
    )


def test_status_switches(make_emulator, make_client):
    server = make_emulator(create_status=200, delete_status=200)
    client = make_client(server)
    created = client.post("Users", json=user_body("a@example.com"))
    assert created.status_code == 200
    assert client.delete(f"Users/{created.json()['id']}").status_code == 200


def test_numeric_ids_switch(make_emulator, make_client):
    client = make_client(make_emulator(numeric_ids=True))
    created = client.post("Users", json=user_body("a@example.com")).json()
    assert created["id"] == 100000000000001
    listed = client.get("Users").json()["Resources"]
    assert listed[0]["id"] == 100000000000001
    assert client.get(f"Users/{created['id']}").status_code == 200


def test_error_format_switch(make_emulator, make_client):
    graph = make_client(make_emulator(error_format="graph"))
    body = graph.get("Users/1").json()
    assert body["error"]["code"] == 404
    assert body["error"]["message"]

    text = make_client(make_emulator(error_format="text")).get("Users/1")
    assert text.status_code == 404
    assert text.headers["Content-Type"].startswith("text/plain")
    assert "1" in text.text
