"""The emulator's ListResponse (emulator/service.py) is exactly scim2-server's, built faster."""

from __future__ import annotations

import httpx
import pytest
from emulator_helpers import ACCOUNT, AUTH, ENTERPRISE, create_user
from scim2_server.service import ScimService

from pulumi_workplace.emulator.service import WorkplaceService

QUERIES = [
    {"startIndex": 1, "count": 3},
    {"startIndex": 2, "count": 10},
    {"startIndex": 50, "count": 10},  # past the end: no Resources
    {"count": 0},
    {"startIndex": 1, "count": 5, "attributes": "userName,active"},
    {"startIndex": 1, "count": 5, "excludedAttributes": "name"},
    {"filter": 'userName eq "b@example.com"'},
]


@pytest.mark.parametrize("profile", ["workplace", "work-accounts", "generic"])
def test_every_listing_body_equals_scim2_servers(make_emulator, monkeypatch, profile):
    server = make_emulator(profile=profile)
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as api:
        boss = create_user(api, "boss@example.com", **{ENTERPRISE: {"department": "Ops"}})
        manager = {"managerId": boss["id"]} if profile == "workplace" else {"value": boss["id"]}
        create_user(api, "b@example.com", **{ENTERPRISE: {"manager": manager}})
        create_user(api, "c@example.com", active=False)
        if profile != "generic":
            create_user(api, "d@example.com", **{ACCOUNT: {"invited": False}})

        def bodies() -> list[dict]:
            return [api.get("Users", params=query).json() for query in QUERIES]

        fast = bodies()
        monkeypatch.setattr(WorkplaceService, "search_response", ScimService.search_response)
        reference = bodies()
    assert fast == reference
    assert [list(body) for body in fast] == [list(body) for body in reference]  # key order
    assert fast[0]["itemsPerPage"] == 3 and len(fast[0]["Resources"]) == 3
    assert fast[2]["Resources"] == []
