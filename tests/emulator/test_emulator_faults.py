"""Fault injection: errors, throttling, drops, lost responses, latency; seeded and reproducible."""

from __future__ import annotations

import time

import httpx
import pytest
from emulator_helpers import search, user_body

DROPPED = "dropped"


def _outcomes(client: httpx.Client, count: int) -> list[int | str]:
    """Status of `count` sequential GET /Users, or "dropped" when no response came."""
    outcomes: list[int | str] = []
    for _ in range(count):
        try:
            outcomes.append(client.get("Users").status_code)
        except httpx.TransportError:
            outcomes.append(DROPPED)
    return outcomes


def test_same_seed_gives_the_same_faults(make_emulator, make_client):
    rates = {"error_rate": 0.2, "throttle_rate": 0.2, "drop_rate": 0.1, "retry_after": 0.05}
    first = _outcomes(make_client(make_emulator(seed=7, **rates)), 60)
    second = _outcomes(make_client(make_emulator(seed=7, **rates)), 60)
    other = _outcomes(make_client(make_emulator(seed=8, **rates)), 60)
    assert first == second
    assert first != other
    assert {200, 429, DROPPED} <= set(first)
    assert set(first) & {500, 503}


def test_fault_counts_match_what_the_client_saw(make_emulator, make_client):
    server = make_emulator(seed=3, error_rate=0.25, throttle_rate=0.25, drop_rate=0.1)
    outcomes = _outcomes(make_client(server), 80)
    stats = server.stats()
    assert stats["total"] == 80
    assert stats["faults"]["error"] == sum(o in (500, 503) for o in outcomes)
    assert stats["faults"]["throttle"] == outcomes.count(429)
    assert stats["faults"]["drop"] == outcomes.count(DROPPED)
    assert stats["by_status"].get("200", 0) == outcomes.count(200)
    assert 0 < outcomes.count(200) < 80


def test_errors_are_500_or_503_with_scim_body(make_emulator, make_client):
    server = make_emulator(error_rate=1.0)
    client = make_client(server)
    responses = [client.post("Users", json=user_body(f"u{i}@example.com")) for i in range(30)]
    assert {r.status_code for r in responses} == {500, 503}
    assert all(r.json()["status"] == str(r.status_code) for r in responses)
    assert server.users() == []  # faults come before processing


def test_throttle_sends_retry_after(make_emulator, make_client):
    default = make_client(make_emulator(throttle_rate=1.0)).get("Users")
    assert default.status_code == 429
    assert default.headers["Retry-After"] == "1"
    fractional = make_client(make_emulator(throttle_rate=1.0, retry_after=0.05)).get("Users")
    assert fractional.headers["Retry-After"] == "0.05"


def test_drop_closes_without_response_and_does_not_process(make_emulator, make_client):
    server = make_emulator(drop_rate=1.0)
    client = make_client(server)
    with pytest.raises(httpx.TransportError):
        client.post("Users", json=user_body("dropped@example.com"))
    assert server.users() == []
    server.set_faults(drop_rate=0.0)
    assert client.get("Users").status_code == 200  # the client recovers on a new connection


def test_lost_response_processes_the_write(make_emulator, make_client):
    server = make_emulator(lost_response_rate=1.0)
    client = make_client(server)
    with pytest.raises(httpx.TransportError):
        client.post("Users", json=user_body("ghost@example.com"))
    server.set_faults(lost_response_rate=0.0)
    found = search(client, 'userName eq "ghost@example.com"')
    assert len(found) == 1
    # A naive retry now collides with the account the lost request created.
    assert client.post("Users", json=user_body("ghost@example.com")).status_code == 409
    stats = server.stats()
    assert stats["faults"]["lost_response"] == 1
    assert "201" not in stats["by_status"]


def test_latency_is_added(make_emulator, make_client):
    client = make_client(make_emulator(latency_ms=150))
    started = time.perf_counter()
    assert client.get("Users").status_code == 200
    assert time.perf_counter() - started >= 0.15


def test_faults_can_be_limited_to_methods(make_emulator, make_client):
    server = make_emulator(error_rate=1.0, fault_methods=frozenset({"post", "PATCH"}))
    client = make_client(server)
    assert client.get("Users").status_code == 200
    assert client.post("Users", json=user_body("a@example.com")).status_code in (500, 503)


def test_faults_change_at_run_time_and_spare_admin_endpoints(server, api):
    server.set_faults(error_rate=1.0)
    assert api.get("Users").status_code in (500, 503)
    assert httpx.get(f"{server.url}_emulator/health").status_code == 200
    changed = httpx.post(f"{server.url}_emulator/faults", json={"error_rate": 0.0, "latency_ms": 1})
    assert changed.status_code == 200
    assert changed.json()["error_rate"] == 0.0
    assert api.get("Users").status_code == 200
    assert server.stats()["total"] == 2  # admin calls are not counted
    refused = httpx.post(f"{server.url}_emulator/faults", json={"error_rate": 2})
    assert refused.status_code == 400
    with pytest.raises(ValueError):
        server.set_faults(drop_rate=0.6, error_rate=0.6)
