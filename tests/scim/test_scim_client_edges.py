"""Client behaviour for server answers the emulator cannot be made to give.

These use `httpx.MockTransport` (no network) with small scripted handlers; everything the
emulator can reproduce is tested against it in the other modules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from scim_helpers import FAST, FAST_LOOKUP, TOKEN

from pulumi_workplace.resources._matching import create_or_adopt
from pulumi_workplace.scim import (
    ScimClient,
    ScimConnectionError,
    ScimUser,
    ServerError,
    UnexpectedResponseError,
)

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def scripted() -> Iterator[Callable[[Handler], tuple[ScimClient, list[httpx.Request]]]]:
    clients: list[ScimClient] = []

    def make(handler: Handler, **options: Any) -> tuple[ScimClient, list[httpx.Request]]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        client = ScimClient(
            "http://127.0.0.1:9/scim/v2",
            TOKEN,
            transport=httpx.MockTransport(record),
            **{**FAST, **options},
        )
        clients.append(client)
        return client, seen

    yield make
    for client in clients:
        client.close()


def _user(user_id: int, name: str | None = None) -> dict[str, Any]:
    return {"id": str(user_id), "userName": name or f"u{user_id}@example.com"}


def _page(resources: list[dict[str, Any]], total: int | None = None) -> httpx.Response:
    body: dict[str, Any] = {"Resources": resources, "itemsPerPage": len(resources)}
    if total is not None:
        body["totalResults"] = total
    return httpx.Response(200, json=body)


def test_base_path_is_kept_and_errors_carry_it(scripted: Any) -> None:
    client, seen = scripted(lambda request: httpx.Response(404))
    assert client.get_user("7") is None
    assert seen[0].url.path == "/scim/v2/Users/7"


def test_ids_are_path_quoted(scripted: Any) -> None:
    client, seen = scripted(lambda request: httpx.Response(404))
    client.get_user("a/../b?c")
    assert seen[0].url.raw_path == b"/scim/v2/Users/a%2F..%2Fb%3Fc"
    with pytest.raises(ValueError, match="user id"):
        client.get_user("..")


def test_paging_stops_when_the_server_ignores_start_index(scripted: Any) -> None:
    client, seen = scripted(lambda request: _page([_user(1), _user(2)], total=10))
    with pytest.raises(UnexpectedResponseError, match="ignore startIndex"):
        client.list_users(page_size=2)
    assert len(seen) == 2


def test_paging_without_total_runs_to_the_empty_page(scripted: Any) -> None:
    users = [_user(i) for i in range(1, 8)]

    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["startIndex"])
        # The server caps pages at 3 whatever count says, and never sends totalResults.
        return _page(users[start - 1 : start - 1 + 3])

    client, seen = scripted(handler)
    listed = client.list_users(page_size=50)
    assert [user.id for user in listed] == [str(i) for i in range(1, 8)]
    assert [request.url.params["startIndex"] for request in seen] == ["1", "4", "7", "8"]


def test_paging_stops_on_missing_resources(scripted: Any) -> None:
    client, seen = scripted(lambda request: httpx.Response(200, json={"totalResults": 5}))
    assert client.list_users() == []
    assert len(seen) == 1


def test_paging_skips_users_repeated_by_a_shifted_list(scripted: Any) -> None:
    pages = {"1": [_user(1), _user(2)], "3": [_user(2), _user(3)], "5": []}
    client, _ = scripted(lambda request: _page(pages[request.url.params["startIndex"]]))
    assert [user.id for user in client.list_users(page_size=2)] == ["1", "2", "3"]


@pytest.mark.parametrize("status", [405, 501])
def test_patch_unsupported_falls_back_to_put_for_good(scripted: Any, status: int) -> None:
    stored = {"id": "5", "userName": "a@example.com", "title": "Old", "nickName": "N"}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(("ServiceProviderConfig", "ServiceProviderConfigs")):
            return httpx.Response(404)
        if request.method == "PATCH":
            return httpx.Response(status)
        if request.method == "PUT":
            stored.clear()
            stored.update(json.loads(request.content), id="5")
            return httpx.Response(200, json=stored)
        return httpx.Response(200, json=stored)

    client, seen = scripted(handler)
    before = ScimUser.from_wire(stored)
    updated = client.patch_user("5", before, ScimUser(title="New"))
    assert updated is not None and updated.title == "New" and updated.nick_name == "N"
    methods = [request.method for request in seen if "/Users" in request.url.path]
    assert methods == ["PATCH", "GET", "PUT"]
    client.patch_user("5", updated, ScimUser(title="Newer"))
    methods = [request.method for request in seen if "/Users" in request.url.path]
    assert methods[3:] == ["GET", "PUT"]  # no second PATCH attempt


def test_discovery_saying_no_patch_goes_straight_to_put(scripted: Any) -> None:
    stored = {"id": "5", "userName": "a@example.com"}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("ServiceProviderConfig"):
            return httpx.Response(404)
        if request.url.path.endswith("ServiceProviderConfigs"):
            return httpx.Response(200, json={"patch": {"supported": False}})
        if request.method == "PUT":
            return httpx.Response(200, json={**json.loads(request.content), "id": "5"})
        return httpx.Response(200, json=stored)

    client, seen = scripted(handler)
    assert client.set_active("5", False).active is False
    assert "PATCH" not in [request.method for request in seen]
    put = next(request for request in seen if request.method == "PUT")
    assert json.loads(put.content) == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "a@example.com",
        "active": False,
    }


def test_patch_answered_204_is_read_back(scripted: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            return httpx.Response(204)
        if request.url.path.endswith("/Users/5"):
            return httpx.Response(200, json={"id": "5", "userName": "a", "active": False})
        return httpx.Response(404)

    client, _ = scripted(handler)
    assert client.deactivate_user("5").active is False


def test_server_ignoring_the_filter_still_finds_only_the_match(scripted: Any) -> None:
    everyone = [_user(1, "A@example.com"), _user(2, "b@example.com"), _user(3, 'a"@example.com')]
    client, seen = scripted(lambda request: _page(everyone, total=3))
    found = client.find_user("userName", "a@example.com")
    assert found is not None and found.id == "1"
    assert seen[0].url.params["filter"] == 'userName eq "a@example.com"'
    assert client.find_user("userName", "zzz@example.com") is None


def test_non_json_success_is_reported(scripted: Any) -> None:
    client, _ = scripted(lambda request: httpx.Response(200, text="<html>hello</html>"))
    with pytest.raises(UnexpectedResponseError, match="not JSON"):
        client.list_users()


def test_unreadable_user_is_reported(scripted: Any) -> None:
    client, _ = scripted(lambda request: httpx.Response(200, json={"id": "1", "active": [1]}))
    with pytest.raises(UnexpectedResponseError, match="cannot read"):
        client.get_user("1")


def test_retry_after_http_date_and_500_on_get(scripted: Any) -> None:
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
            httpx.Response(500),
            httpx.Response(502),
            _page([], total=0),
        ]
    )
    client, seen = scripted(lambda request: next(answers))
    assert client.list_users() == []
    assert len(seen) == 4


def test_post_500_is_not_repeated_before_a_lookup(scripted: Any) -> None:
    created: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            body = json.loads(request.content)
            created.append({**body, "id": str(len(created) + 1)})
            return httpx.Response(500)  # processed, but answers an error
        matches = [u for u in created if u["userName"] == "a@example.com"]
        return _page(matches, total=len(matches))

    client, seen = scripted(handler)
    result = create_or_adopt(client, ScimUser(user_name="a@example.com"), **FAST_LOOKUP)
    assert result.reason == "recovered" and result.user.id == "1"
    assert [request.method for request in seen] == ["POST", "GET"]
    assert len(created) == 1


def test_create_without_matchable_values_is_not_repeated(scripted: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client, seen = scripted(handler)
    with pytest.raises(ScimConnectionError, match="Timed out"):
        create_or_adopt(
            client, ScimUser(display_name="no user name"), match_on=["userName"], **FAST_LOOKUP
        )
    assert [request.method for request in seen] == ["POST"]


def test_create_2xx_without_body_is_found_by_lookup(scripted: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(201)
        return _page([_user(9, "a@example.com")], total=1)

    client, _ = scripted(handler)
    result = create_or_adopt(client, ScimUser(user_name="a@example.com"), **FAST_LOOKUP)
    assert result.reason == "created" and result.user.id == "9"


def test_patch_500_with_add_would_not_be_retried(scripted: Any) -> None:
    # Guard on the retry rule itself: a non-idempotent request is not repeated after a 500.
    client, seen = scripted(lambda request: httpx.Response(500))
    with pytest.raises(ServerError):
        client._request("PATCH", "Users/1", body={}, idempotent=False)
    assert len(seen) == 1
    with pytest.raises(ServerError):
        client._request("PATCH", "Users/1", body={}, idempotent=True)
    assert len(seen) == 1 + FAST["max_attempts"]


def test_bearer_prefix_in_the_token_is_tolerated(scripted: Any) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _page([], total=0)

    with ScimClient(
        "http://127.0.0.1:9/", f"Bearer {TOKEN}", transport=httpx.MockTransport(handler)
    ) as client:
        client.list_users()
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
