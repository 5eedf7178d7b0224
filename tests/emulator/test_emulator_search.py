"""Filters and paging of GET /Users."""

from __future__ import annotations

import time

from emulator_helpers import create_user, search


def test_user_name_filter_is_case_insensitive(api):
    user = create_user(api, "Mixed.Case@example.com")
    create_user(api, "someone@example.com")
    found = search(api, 'userName eq "mixed.case@EXAMPLE.COM"')
    assert [u["id"] for u in found] == [user["id"]]


def test_external_id_filter_is_exact(api):
    user = create_user(api, "a@example.com", externalId="EMP-001")
    create_user(api, "b@example.com", externalId="EMP-002")
    assert [u["id"] for u in search(api, 'externalId eq "EMP-001"')] == [user["id"]]
    assert search(api, 'externalId eq "emp-001"') == []


def test_no_match_gives_an_empty_list(api):
    response = api.get("Users", params={"filter": 'userName eq "nobody@example.com"'})
    body = response.json()
    assert body["totalResults"] == 0
    assert body.get("Resources", []) == []


def test_invalid_filter_is_400(api):
    response = api.get("Users", params={"filter": "userName eq"})
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"


def test_paging_with_start_index_and_count(api):
    ids = [create_user(api, f"user{index}@example.com")["id"] for index in range(7)]
    page = api.get("Users", params={"startIndex": 3, "count": 2}).json()
    assert page["totalResults"] == 7
    assert page["startIndex"] == 3
    assert page["itemsPerPage"] == 2
    assert [u["id"] for u in page["Resources"]] == ids[2:4]
    last = api.get("Users", params={"startIndex": 7, "count": 5}).json()
    assert [u["id"] for u in last["Resources"]] == ids[6:]
    assert api.get("Users", params={"count": 0}).json()["itemsPerPage"] == 0


def test_default_and_max_page_size(make_emulator, make_client):
    client = make_client(make_emulator(default_page_size=2, max_page_size=4))
    for index in range(6):
        create_user(client, f"user{index}@example.com")
    default = client.get("Users").json()
    assert (default["totalResults"], default["itemsPerPage"]) == (6, 2)
    capped = client.get("Users", params={"count": 100}).json()
    assert capped["itemsPerPage"] == 4
    config = client.get("ServiceProviderConfig").json()
    assert config["pagination"]["defaultPageSize"] == 2
    assert config["pagination"]["maxPageSize"] == 4


def test_visibility_delay_hides_new_users_from_searches_only(make_emulator, make_client):
    client = make_client(make_emulator(visibility_delay_ms=400))
    user = create_user(client, "late@example.com")
    assert search(client, 'userName eq "late@example.com"') == []
    assert client.get("Users").json()["totalResults"] == 0
    assert client.get(f"Users/{user['id']}").status_code == 200
    time.sleep(0.45)
    assert [u["id"] for u in search(client, 'userName eq "late@example.com"')] == [user["id"]]


def _page_ids(api, start: int, count: int) -> tuple[int, list[str]]:
    body = api.get("Users", params={"startIndex": start, "count": count}).json()
    return body["totalResults"], [u["id"] for u in body.get("Resources", [])]


def test_listing_pages_follow_adds_removes_and_edits_between_pages(api):
    ids = [create_user(api, f"p{index:03d}@example.com")["id"] for index in range(25)]
    total, first = _page_ids(api, 1, 10)
    assert (total, first) == (25, sorted(ids)[:10])
    # Membership changes between pages: the next page is cut from the new membership.
    assert api.delete(f"Users/{ids[3]}").status_code == 204
    ids.remove(ids[3])
    ids.append(create_user(api, "late@example.com")["id"])
    total, second = _page_ids(api, 11, 10)
    assert (total, second) == (25, sorted(ids)[10:20])
    # An edit between pages shows in the page that holds the user.
    edited = sorted(ids)[21]
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Edited"}],
    }
    assert api.patch(f"Users/{edited}", json=patch).status_code == 200
    body = api.get("Users", params={"startIndex": 21, "count": 10}).json()
    assert [u["id"] for u in body["Resources"]] == sorted(ids)[20:]
    assert next(u for u in body["Resources"] if u["id"] == edited)["title"] == "Edited"
