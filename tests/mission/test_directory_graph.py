"""Directory from Microsoft Graph, against recorded payloads (tests/data/graph/) only."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest

from pulumi_workplace.directory import Directory, DirectoryError

from .conftest import DATA

GRAPH = DATA / "graph"
TENANT = "0d5c7f3a-1b2e-4c6d-8e9f-a0b1c2d3e4f5"
CLIENT = "3a9d1c2e-5b6f-4a7e-8c9d-0e1f2a3b4c5d"
SECRET = "s3cr3t~Q8Q.abcDEF_ghi-JKL"
SALES = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
RETAIL = "4d0bd1cf-7a0b-4a6e-8a3a-5a1d8d4c6e21"
EVERYONE = "7d6b8e3a-1f2c-4b5d-9e8f-0a1b2c3d4e5f"


def _payload(name: str) -> object:
    return json.loads((GRAPH / name).read_text(encoding="utf-8"))


class FakeGraph:
    """Serves the recorded payloads; records every request; can throttle or refuse."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.throttle: set[str] = set()
        self.forbid: set[str] = set()
        self.token_error = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = request.url
        if url.host == "login.microsoftonline.com":
            if self.token_error:
                return httpx.Response(401, json=_payload("token-invalid-client.json"))
            return httpx.Response(200, json=_payload("token.json"))
        assert url.host == "graph.microsoft.com"
        assert request.headers["Authorization"].startswith("Bearer eyJ0eXAi")
        name = self._file(url.path, "$skiptoken" in str(url))
        if name in self.throttle:
            self.throttle.discard(name)
            return httpx.Response(
                429, headers={"Retry-After": "7"}, json=_payload("error-429.json")
            )
        if name in self.forbid:
            return httpx.Response(403, json=_payload("error-403.json"))
        return httpx.Response(200, json=_payload(name))

    @staticmethod
    def _file(path: str, next_page: bool) -> str:
        page = "2" if next_page else "1"
        if path == "/v1.0/users":
            return f"users-page-{page}.json"
        if path == "/v1.0/groups":
            return "groups.json"
        group_id = path.split("/")[3]
        if path.endswith("/members"):
            suffix = f"-page-{page}" if group_id == EVERYONE else ""
            return f"group-{group_id}-members{suffix}.json"
        return f"group-{group_id}.json"


def _load(fake: FakeGraph, sleeps: list[float] | None = None, **kwargs: object) -> Directory:
    sleep: Callable[[float], None] = sleeps.append if sleeps is not None else lambda _: None
    return Directory.from_graph(
        TENANT,
        CLIENT,
        SECRET,
        transport=httpx.MockTransport(fake),
        sleep=sleep,
        **kwargs,  # type: ignore[arg-type]
    )


def test_token_request_is_client_credentials_for_graph() -> None:
    fake = FakeGraph()
    _load(fake)
    token = fake.requests[0]
    assert token.method == "POST"
    assert str(token.url) == f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
    form = parse_qs(token.content.decode())
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_id"] == [CLIENT]
    assert form["client_secret"] == [SECRET]
    assert form["scope"] == ["https://graph.microsoft.com/.default"]
    assert sum(r.url.host == "login.microsoftonline.com" for r in fake.requests) == 1


def test_users_are_paged_with_managers_expanded_and_renamed() -> None:
    fake = FakeGraph()
    d = _load(fake)
    users = [r for r in fake.requests if r.url.path == "/v1.0/users"]
    assert len(users) == 2
    first = users[0].url.params
    assert "userPrincipalName" in first["$select"] and "employeeOrgData" in first["$select"]
    assert first["$expand"] == "manager($select=id)"
    assert "$skiptoken" in str(users[1].url)
    assert len(d) == 6
    adele = d.person_by_upn("adelev@m365x214355.onmicrosoft.com")
    assert adele is not None
    assert d.manager_of(adele).user_principal_name == "MiriamG@M365x214355.onmicrosoft.com"  # type: ignore[union-attr]
    assert adele.get("telephoneNumber") == "+1 425 555 0109"
    assert adele.get("physicalDeliveryOfficeName") == "18/2111"
    alex = d.person_by_upn("AlexW@M365x214355.onmicrosoft.com")
    assert alex is not None and alex.get("mobile") == "+1 858 555 0111"
    miriam = d.person_by_upn("MiriamG@M365x214355.onmicrosoft.com")
    assert miriam is not None and miriam.get("costCenter") == "CC-420"
    assert miriam.get("division") == "Go-to-Market"
    lee = d.person_by_upn("LeeG@M365x214355.onmicrosoft.com")
    assert lee is not None and lee.account_enabled is False
    assert lee.get("extensionAttribute1") == "Contractor"
    assert lee.get("extensionAttribute2") is None
    patti = d.person_by_upn("PattiF@M365x214355.onmicrosoft.com")
    assert patti is not None and patti.manager_ref is None


def test_all_groups_with_members_paging_nested_groups_and_non_people() -> None:
    d = _load(FakeGraph())
    sales = d.group_by_id(SALES)
    assert sales is not None and sales.display_name == "Sales and Marketing"
    # Users and the nested group stay; the device and the contact are dropped.
    assert sales.member_ids == (
        "08fa38e4-cbfa-4488-94ed-c834da6539df",
        "626cbf8c-5dde-46b0-8385-9e40d64736fe",
        RETAIL,
    )
    assert len(d.group_by_id(EVERYONE).member_ids) == 5  # type: ignore[union-attr]
    # Retail and Sales contain each other: expansion still ends.
    assert len(d.members(SALES, depth=None)) == 3


def test_selected_groups_bring_their_nested_groups() -> None:
    fake = FakeGraph()
    d = _load(fake, group_ids=[SALES])
    assert {g.id for g in d.groups} == {SALES, RETAIL}
    assert not any(r.url.path == "/v1.0/groups" for r in fake.requests)


def test_throttled_page_is_retried_after_retry_after() -> None:
    fake = FakeGraph()
    fake.throttle = {"users-page-2.json"}
    sleeps: list[float] = []
    d = _load(fake, sleeps)
    assert sleeps == [7.0]
    assert len(d) == 6
    pages = [r for r in fake.requests if r.url.path == "/v1.0/users"]
    assert len(pages) == 3


def test_persistent_throttling_gives_up_with_a_clear_error() -> None:
    class AlwaysThrottled(FakeGraph):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            if request.url.host == "graph.microsoft.com":
                self.throttle.add(self._file(request.url.path, "$skiptoken" in str(request.url)))
            return super().__call__(request)

    sleeps: list[float] = []
    with pytest.raises(DirectoryError, match="HTTP 429 TooManyRequests"):
        _load(AlwaysThrottled(), sleeps, max_retries=2)
    assert sleeps == [7.0, 7.0]


def test_forbidden_is_reported_with_graph_error_code() -> None:
    fake = FakeGraph()
    fake.forbid = {"groups.json"}
    with pytest.raises(DirectoryError) as caught:
        _load(fake)
    message = str(caught.value)
    assert (
        "Microsoft Graph GET /v1.0/groups failed: HTTP 403 Authorization_RequestDenied" in message
    )
    assert "Insufficient privileges" in message


def test_bad_secret_error_never_shows_the_secret() -> None:
    fake = FakeGraph()
    fake.token_error = True
    with pytest.raises(DirectoryError) as caught:
        _load(fake)
    message = str(caught.value)
    assert "invalid_client" in message and "AADSTS7000215" in message
    assert "Trace ID" not in message  # only the first line of Entra's description
    assert SECRET not in message and SECRET not in repr(caught.value)


def test_secret_echoed_by_a_server_is_scrubbed() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "invalid_request", "error_description": SECRET})

    with pytest.raises(DirectoryError) as caught:
        Directory.from_graph(TENANT, CLIENT, SECRET, transport=httpx.MockTransport(echo))
    assert SECRET not in str(caught.value)
    assert "***" in str(caught.value)


def test_next_link_to_another_host_is_refused() -> None:
    class Hostile(FakeGraph):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            response = super().__call__(request)
            if request.url.path == "/v1.0/users":
                body = response.json()
                body["@odata.nextLink"] = "https://evil.example/steal"
                return httpx.Response(200, json=body)
            return response

    fake = Hostile()
    with pytest.raises(DirectoryError, match="link to another host"):
        _load(fake)
    assert not any(r.url.host == "evil.example" for r in fake.requests)


def test_expired_token_is_renewed_once_on_401() -> None:
    class Expiring(FakeGraph):
        expired = True

        def __call__(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/v1.0/groups" and self.expired:
                self.expired = False
                self.requests.append(request)
                return httpx.Response(401, json={"error": {"code": "InvalidAuthenticationToken"}})
            return super().__call__(request)

    fake = Expiring()
    _load(fake)
    assert sum(r.url.host == "login.microsoftonline.com" for r in fake.requests) == 2
