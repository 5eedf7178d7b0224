"""Matching and adoption on create (`pulumi_workplace.resources._matching`) over the client,
against the local Workplace emulator."""

from __future__ import annotations

from typing import Any

import pytest
from scim_helpers import FAST_LOOKUP, rich_user

from pulumi_workplace.resources._matching import create_or_adopt, find_by_matching
from pulumi_workplace.scim import ConflictError, Email, ScimClient, ScimUser


def _method_count(server: Any, key: str) -> int:
    value: int = server.stats()["by_method_kind"].get(key, 0)
    return value


def test_find_by_matching_precedence_and_skipping(server: Any, client: ScimClient) -> None:
    first = create_or_adopt(client, rich_user(3)).user
    second = create_or_adopt(client, rich_user(4)).user
    assert first.id != second.id
    # externalId of #4 but userName of #3: the first attribute listed wins.
    probe = ScimUser(user_name="user0003@example.com", external_id="ext-user-4")
    found = find_by_matching(client, probe, ["externalId", "userName"])
    assert found is not None and found.id == second.id
    found = find_by_matching(client, probe, ["userName", "externalId"])
    assert found is not None and found.id == first.id
    # No externalId: that attribute is skipped without a request.
    server.reset_stats()
    found = find_by_matching(
        client, ScimUser(user_name="user0004@example.com"), ["externalId", "userName"]
    )
    assert found is not None and found.id == second.id
    assert _method_count(server, "GET users") == 1
    assert find_by_matching(client, ScimUser(), ["externalId", "userName"]) is None
    assert found == find_by_matching(
        client, ScimUser(emails=[Email(value="User0004@example.com")]), ["emails.value"]
    )


def test_conflict_on_create_adopts_and_converges(server: Any, client: ScimClient) -> None:
    original = create_or_adopt(client, rich_user(15)).user
    again = rich_user(15).model_copy(
        update={"title": "Changed", "user_name": "USER0015@example.com"}
    )
    result = create_or_adopt(client, again, **FAST_LOOKUP)
    assert result.reason == "conflict" and result.adopted
    assert result.user.id == original.id
    assert result.user.title == "Changed"
    assert len(server.users()) == 1


def test_conflict_with_400_uniqueness_is_adopted_too(make_server: Any, make_client: Any) -> None:
    server = make_server(conflict_status=400)
    client = make_client(server.url)
    original = create_or_adopt(client, rich_user(16)).user
    result = create_or_adopt(client, rich_user(16), **FAST_LOOKUP)
    assert result.reason == "conflict" and result.user.id == original.id
    assert len(server.users()) == 1


def test_conflict_without_a_match_is_raised(server: Any, client: ScimClient) -> None:
    create_or_adopt(client, rich_user(17))
    other = rich_user(17).model_copy(update={"external_id": "someone-else"})
    with pytest.raises(ConflictError, match="externalId") as raised:
        create_or_adopt(client, other, match_on=["externalId"], **FAST_LOOKUP)
    assert raised.value.status == 409
    assert len(server.users()) == 1
