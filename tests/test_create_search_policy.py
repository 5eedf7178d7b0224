"""Searching before a create, and the one listing that replaces the searches of a large run."""

from __future__ import annotations

import threading

import httpx
import pytest

from pulumi_workplace.resources import _runtime
from pulumi_workplace.resources._match_index import MatchIndex, SearchPolicy, listing_pages
from pulumi_workplace.resources._user_provider import UserProvider
from pulumi_workplace.scim import ScimUser


def test_index_matches_case_insensitively_and_only_on_known_keys():
    index = MatchIndex([ScimUser(user_name="Ada@Example.com", external_id="E-1")])
    assert index.may_match({"userName": "ada@example.COM"}, ["userName"])
    assert index.may_match(
        {"userName": "new@example.com", "externalId": "e-1"}, ["userName", "externalId"]
    )
    assert not index.may_match({"userName": "new@example.com"}, ["userName"])
    # A value the run does not match on, or a key the index does not hold: search to be safe.
    assert not index.may_match({"externalId": "E-1"}, ["userName"])
    assert index.may_match({"userName": "new@example.com"}, ["employeeNumber", "userName"]) is False
    assert MatchIndex().may_match({"employeeNumber": "7"}, ["employeeNumber"])
    index.add({"userName": "New@Example.com"})
    assert index.may_match({"userName": "new@example.com"}, ["userName"])


def test_policy_searches_until_a_listing_is_cheaper_then_lists_once():
    listed: list[int] = []

    def lister() -> list[ScimUser]:
        listed.append(1)
        return [ScimUser(user_name="old@example.com")]

    policy = SearchPolicy(lister, lambda: 3)
    person = {"userName": "new@example.com"}
    assert [policy.needs_search(person, ["userName"]) for _ in range(3)] == [True] * 3
    assert listed == []  # three creates cost three searches, as a listing would
    assert policy.needs_search(person, ["userName"]) is False
    assert policy.needs_search({"userName": "OLD@example.com"}, ["userName"]) is True
    policy.created(person)
    assert policy.needs_search(person, ["userName"]) is True
    assert listed == [1]


def test_concurrent_creates_share_one_listing():
    listed: list[int] = []
    gate = threading.Event()

    def slow_lister() -> list[ScimUser]:
        listed.append(1)
        gate.wait(5)
        return []

    policy = SearchPolicy(slow_lister, lambda: 0)
    answers: list[bool] = []
    threads = [
        threading.Thread(
            target=lambda: answers.append(policy.needs_search({"userName": "a@b.c"}, ["userName"]))
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    assert listed == [1]
    # The lister's own create waits for the listing; the others searched meanwhile.
    assert answers.count(False) >= 1 and len(answers) == 8


def test_a_failed_listing_falls_back_to_searching_and_is_not_retried():
    calls: list[int] = []

    def broken() -> list[ScimUser]:
        calls.append(1)
        raise httpx.ConnectError("listing refused")

    policy = SearchPolicy(broken, lambda: 0)
    assert all(policy.needs_search({"userName": "a@b.c"}, ["userName"]) for _ in range(5))
    assert calls == [1]


@pytest.mark.parametrize(("size", "pages"), [(None, 10), (0, 1), (100, 1), (101, 2), (10_000, 100)])
def test_listing_pages(size, pages):
    assert listing_pages(size, 100) == pages


def _props(i: int) -> dict:
    return {
        "attributes": {
            "userName": f"p{i:03d}@example.com",
            "displayName": f"Person {i}",
            "active": True,
        },
        "options": {
            "matchOn": ["userName"],
            "deprovision": "deactivate",
            "clear": [],
            "createOnly": {},
        },
    }


@pytest.fixture
def provider_process(make_emulator, emulator_token, tmp_path, monkeypatch):
    """An emulator, and this process set up as a provider process talking to it (a fresh run
    logging to tmp_path/log.jsonl); yields (emulator, provider)."""
    emulator = make_emulator()
    _runtime.reset()
    _runtime.configure(
        {
            "workplace:tenantUrl": emulator.url,
            "workplace:token": emulator_token,
            "workplace:provisioningLog": str(tmp_path / "log.jsonl"),
        }
    )
    yield emulator, UserProvider()
    _runtime.reset()


def test_provider_creates_with_one_post_each_and_still_adopts(
    provider_process, emulator_token, tmp_path
):
    emulator, provider = provider_process
    token = {"Authorization": f"Bearer {emulator_token}"}
    with httpx.Client(base_url=emulator.url, headers=token) as admin:
        existing = admin.post(
            "Users",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "P020@Example.com",
                "displayName": "Made by hand",
            },
        )
        assert existing.status_code == 201, existing.text
    emulator.reset_stats()
    provider.check({}, _props(1))  # plans a create: tests the connection, learns the size
    results = {i: provider.create(_props(i)) for i in range(1, 31)}
    stats = emulator.stats()["by_method_kind"]
    # 1 connection test + 1 search (tenant of one account: one page) + 1 listing + 1 search
    # for the listed candidate; 29 POSTs; the hand-made account adopted with one PATCH.
    assert stats.get("GET users") == 4, stats
    assert stats.get("POST users") == 29, stats
    assert stats.get("PATCH user") == 1, stats
    assert results[20].id == existing.json()["id"]
    assert results[20].outs["status"]["adopted"] is True
    assert not any(results[i].outs["status"]["adopted"] for i in results if i != 20)
    assert len({r.id for r in results.values()}) == 30
    logged = (tmp_path / "log.jsonl").read_text().splitlines()
    assert len(logged) == 30 and sum('"adopt"' in line for line in logged) == 1


def test_a_state_in_the_earlier_flat_layout_is_rewritten_without_a_request(provider_process):
    emulator, provider = provider_process
    created = provider.create(_props(1))
    nested = created.outs
    # The same state as the flat layout stored it: every key at the top level.
    flat = {**nested["attributes"], **nested["options"], **nested["status"]}
    emulator.reset_stats()
    assert provider.diff(created.id, flat, _props(1)).changes is True
    rewritten = provider.update(created.id, flat, _props(1)).outs
    assert provider.diff(created.id, rewritten, _props(1)).changes is False
    stats = emulator.stats()
    assert rewritten["attributes"] == nested["attributes"]
    assert rewritten["status"]["managed"] == nested["status"]["managed"]
    assert stats["writes"] == 0
