"""The lookup of managers in other shards: searches while cheaper, then the run's one listing."""

from __future__ import annotations

from pulumi_workplace.resources._manager_lookup import ManagerLookup
from pulumi_workplace.resources._match_index import SearchPolicy
from pulumi_workplace.scim import ScimUser

USERS = [ScimUser(id=f"id-{i}", user_name=f"m{i}@contoso.com") for i in range(50)]


class _Client:
    def __init__(self) -> None:
        self.searches: list[str] = []

    def find_user(self, attribute: str, value: str) -> ScimUser | None:
        assert attribute == "userName"
        self.searches.append(value)
        return next((u for u in USERS if u.user_name == value.lower()), None)


def test_searches_first_then_one_listing_answers_every_lookup() -> None:
    client = _Client()
    listings: list[int] = []

    def list_users() -> list[ScimUser]:
        listings.append(1)
        return USERS

    policy = SearchPolicy(list_users, lambda: 3)
    lookup = ManagerLookup(lambda: client, policy.listing, lambda: 3)  # type: ignore[arg-type, return-value]
    assert [lookup.account_id(f"M{i}@contoso.com") for i in range(3)] == ["id-0", "id-1", "id-2"]
    assert len(client.searches) == 3 and listings == []
    assert lookup.account_id("m3@contoso.com") == "id-3"  # the fourth: the listing
    assert listings == [1] and len(client.searches) == 3
    assert lookup.account_id("nobody@contoso.com") is None  # not listed: pending, no search
    assert [lookup.account_id(f"m{i}@contoso.com") for i in range(10, 20)] == [
        f"id-{i}" for i in range(10, 20)
    ]
    assert listings == [1] and len(client.searches) == 3
    assert lookup.account_id("M0@contoso.com") == "id-0"  # remembered
    # The search policy uses the same listing for creates.
    assert policy.index is not None and not policy.needs_search({"userName": "new@x"}, ["userName"])
    assert listings == [1]


def test_a_failed_listing_falls_back_to_searches() -> None:
    client = _Client()

    def broken() -> list[ScimUser]:
        raise RuntimeError("listing refused")

    policy = SearchPolicy(broken, lambda: 0)
    lookup = ManagerLookup(lambda: client, policy.listing, lambda: 0)  # type: ignore[arg-type, return-value]
    assert lookup.account_id("m5@contoso.com") == "id-5"
    assert client.searches == ["m5@contoso.com"]
