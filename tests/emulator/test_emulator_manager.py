"""Manager references must name existing users, in an accepted shape, and keep their shape."""

from __future__ import annotations

from emulator_helpers import ENTERPRISE, create_user, patch_body, user_body


def test_both_shapes_are_accepted_and_returned_as_given(api):
    boss = create_user(api, "boss@example.com")
    by_id = create_user(
        api, "a@example.com", **{ENTERPRISE: {"manager": {"managerId": boss["id"]}}}
    )
    by_value = create_user(
        api, "b@example.com", **{ENTERPRISE: {"manager": {"value": boss["id"], "displayName": "B"}}}
    )
    assert api.get(f"Users/{by_id['id']}").json()[ENTERPRISE]["manager"] == {
        "managerId": boss["id"]
    }
    assert api.get(f"Users/{by_value['id']}").json()[ENTERPRISE]["manager"] == {
        "value": boss["id"],
        "displayName": "B",
    }


def test_unknown_manager_is_400_naming_the_id(server, api):
    response = api.post(
        "Users", json=user_body("a@example.com", **{ENTERPRISE: {"manager": {"value": "12345"}}})
    )
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert "12345" in response.json()["detail"]
    assert server.users() == []


def test_patch_to_unknown_manager_is_refused(api):
    user = create_user(api, "a@example.com")
    response = api.patch(
        f"Users/{user['id']}",
        json=patch_body(
            {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"managerId": "777"}}
        ),
    )
    assert response.status_code == 400
    assert "777" in response.json()["detail"]


def test_shape_restrictions(make_emulator, make_client):
    value_only = make_client(make_emulator(manager_shape="value"))
    boss = create_user(value_only, "boss@example.com")
    refused = value_only.post(
        "Users",
        json=user_body("a@example.com", **{ENTERPRISE: {"manager": {"managerId": boss["id"]}}}),
    )
    assert refused.status_code == 400
    assert "managerId" in refused.json()["detail"]
    create_user(value_only, "b@example.com", **{ENTERPRISE: {"manager": {"value": boss["id"]}}})

    id_only = make_client(make_emulator(manager_shape="managerId"))
    boss = create_user(id_only, "boss@example.com")
    refused = id_only.post(
        "Users", json=user_body("a@example.com", **{ENTERPRISE: {"manager": {"value": boss["id"]}}})
    )
    assert refused.status_code == 400
    create_user(id_only, "b@example.com", **{ENTERPRISE: {"manager": {"managerId": boss["id"]}}})


def test_deleted_manager_does_not_block_unrelated_updates(api):
    boss = create_user(api, "boss@example.com")
    report = create_user(api, "r@example.com", **{ENTERPRISE: {"manager": {"value": boss["id"]}}})
    assert api.delete(f"Users/{boss['id']}").status_code == 204
    response = api.patch(
        f"Users/{report['id']}", json=patch_body({"op": "replace", "path": "title", "value": "X"})
    )
    assert response.status_code == 200
