"""userName is unique case-insensitively on every write."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from emulator_helpers import create_user, patch_body, user_body


def test_create_with_taken_user_name_in_other_case_is_409(server, api):
    create_user(api, "Jane.Doe@example.com")
    response = api.post("Users", json=user_body("jane.doe@EXAMPLE.com"))
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "409"
    assert body["scimType"] == "uniqueness"
    assert "userName" in body["detail"]
    assert len(server.users()) == 1


def test_put_and_patch_to_taken_user_name_are_409(api):
    create_user(api, "taken@example.com")
    other = create_user(api, "other@example.com")
    put = api.put(f"Users/{other['id']}", json=user_body("TAKEN@example.com"))
    patch = api.patch(
        f"Users/{other['id']}",
        json=patch_body({"op": "replace", "path": "userName", "value": "Taken@Example.com"}),
    )
    assert put.status_code == 409
    assert patch.status_code == 409
    assert api.get(f"Users/{other['id']}").json()["userName"] == "other@example.com"


def test_changing_the_case_of_ones_own_user_name_is_allowed(api):
    user = create_user(api, "self@example.com")
    response = api.put(f"Users/{user['id']}", json=user_body("SELF@example.com"))
    assert response.status_code == 200
    assert response.json()["userName"] == "SELF@example.com"


def test_conflict_status_is_configurable(make_emulator, make_client):
    client = make_client(make_emulator(conflict_status=400))
    create_user(client, "a@example.com")
    response = client.post("Users", json=user_body("A@example.com"))
    assert response.status_code == 400
    assert response.json()["status"] == "400"
    assert response.json()["scimType"] == "uniqueness"


def test_deleted_user_name_can_be_reused(api):
    user = create_user(api, "reuse@example.com")
    assert api.delete(f"Users/{user['id']}").status_code == 204
    again = create_user(api, "reuse@example.com")
    assert again["id"] != user["id"]


def test_concurrent_creates_of_one_user_name_make_one_account(server, make_client):
    clients = [make_client(server) for _ in range(6)]

    def attempt(index: int) -> int:
        name = "Race@example.com" if index % 2 else "race@EXAMPLE.com"
        return clients[index].post("Users", json=user_body(name)).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = sorted(pool.map(attempt, range(len(clients))))
    assert statuses == [201, 409, 409, 409, 409, 409]
    assert len(server.users()) == 1
