"""The client, and `create_or_adopt` over it, under injected faults: no duplicate accounts,
no lost updates, bounded retries."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from scim_helpers import FAST_LOOKUP, TOKEN, assert_stored_as_sent, rich_user, stored_users

from pulumi_workplace.resources._matching import create_or_adopt
from pulumi_workplace.scim import (
    ENTERPRISE_URN,
    Email,
    EnterpriseUser,
    ScimClient,
    ScimConnectionError,
    ScimUser,
    ServerError,
    ThrottledError,
)

N = 200
NO_FAULTS = {"error_rate": 0.0, "throttle_rate": 0.0, "drop_rate": 0.0, "lost_response_rate": 0.0}

MODES: dict[str, dict[str, float]] = {
    "error": {"error_rate": 0.3},
    "throttle": {"throttle_rate": 0.3, "retry_after": 0.01},
    "drop": {"drop_rate": 0.15},
    "lost_response": {"lost_response_rate": 0.15},
    "combined": {
        "error_rate": 0.2,
        "throttle_rate": 0.1,
        "retry_after": 0.01,
        "drop_rate": 0.05,
        "lost_response_rate": 0.05,
    },
}


def _check_exactly(server: Any, sent: list[ScimUser], returned: list[ScimUser]) -> None:
    stored = stored_users(server)
    assert len(stored) == len(sent)
    by_name = {user.user_name.lower(): user for user in stored if user.user_name}
    assert len(by_name) == len(sent), "duplicate userName stored"
    for user in sent:
        assert user.user_name is not None
        assert_stored_as_sent(user, by_name[user.user_name.lower()])
    assert sorted(user.id or "" for user in returned) == sorted(user.id or "" for user in stored)


@pytest.mark.parametrize(("mode", "seed"), [(mode, index + 11) for index, mode in enumerate(MODES)])
def test_creates_under_faults_make_exactly_n_accounts(
    make_server: Any, make_client: Any, mode: str, seed: int
) -> None:
    server = make_server(seed=seed, **MODES[mode])
    client = make_client(server.url)
    sent = [rich_user(index) for index in range(N)]
    results = [create_or_adopt(client, user, **FAST_LOOKUP) for user in sent]
    server.set_faults(**NO_FAULTS)
    _check_exactly(server, sent, [result.user for result in results])
    for user, result in zip(sent, results, strict=True):
        assert_stored_as_sent(user, result.user)
    stats = server.stats()
    # The faults really happened, or this test proves nothing.
    assert stats["faults"].get(mode if mode != "combined" else "error", 0) > 0
    if mode in ("lost_response", "combined"):
        assert stats["faults"]["lost_response"] > 0
        assert any(result.reason == "recovered" for result in results)
    if mode in ("throttle", "error"):
        # Refused before processing: every create still ends up as a plain creation.
        assert all(result.reason == "created" for result in results)
    # One invitation per account: nothing was created twice and deleted.
    assert stats["invitations"] == N


def test_concurrent_creates_under_faults(make_server: Any, make_client: Any) -> None:
    server = make_server(seed=5, **MODES["combined"])
    client = make_client(server.url)
    sent = [rich_user(index, prefix="par") for index in range(N)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        returned = list(
            pool.map(lambda user: create_or_adopt(client, user, **FAST_LOOKUP).user, sent)
        )
    server.set_faults(**NO_FAULTS)
    _check_exactly(server, sent, returned)
    assert server.stats()["faults"]["lost_response"] > 0


def test_lost_responses_with_search_lag_never_duplicate(make_server: Any, make_client: Any) -> None:
    # The account only becomes searchable 60 ms after creation: the first lookup misses it,
    # the repeated POST meets 409, and the conflict path adopts it.
    server = make_server(seed=3, lost_response_rate=0.4, visibility_delay_ms=60)
    client = make_client(server.url)
    sent = [rich_user(index, prefix="lag") for index in range(30)]
    results = [create_or_adopt(client, user, lookup_attempts=1, lookup_delay=0.03) for user in sent]
    server.set_faults(**NO_FAULTS)
    time.sleep(0.1)
    _check_exactly(server, sent, [result.user for result in results])
    assert any(result.reason == "recovered" for result in results)
    # At least one repeated POST met the unique-userName guard and was adopted.
    assert server.stats()["by_status"].get("409", 0) > 0


def _desired(index: int) -> ScimUser:
    return ScimUser(
        title=f"Title {index}",
        active=index % 2 == 0,
        emails=[Email(value=f"new{index}@example.org", type="work", primary=True)],
        enterprise=EnterpriseUser(department=f"Moved {index}"),
        clear={"nickName", "phoneNumbers"} if index % 3 == 0 else frozenset(),
    )


def test_patches_under_faults_are_never_lost(make_server: Any, make_client: Any) -> None:
    server = make_server(seed=7)
    client = make_client(server.url)
    created = [
        create_or_adopt(client, rich_user(index).model_copy(update={"nick_name": f"n{index}"})).user
        for index in range(100)
    ]
    server.set_faults(**{**MODES["combined"], "lost_response_rate": 0.1})
    server.reset_stats()
    for index, user in enumerate(created):
        assert user.id is not None
        updated = client.patch_user(user.id, user, _desired(index))
        assert updated is not None
        assert_stored_as_sent(_desired(index), updated)
    faults = server.stats()["faults"]
    assert faults["lost_response"] > 0 and faults["error"] > 0
    server.set_faults(**NO_FAULTS)
    by_id = {user.id: user for user in stored_users(server)}
    assert len(by_id) == 100
    for index, user in enumerate(created):
        stored = by_id[user.id]
        assert_stored_as_sent(_desired(index), stored)
        if index % 3 == 0:
            assert stored.nick_name is None and not stored.phone_numbers
        else:
            assert stored.nick_name == f"n{index}" and stored.phone_numbers
        assert stored.get_path(f"{ENTERPRISE_URN}:costCenter") == f"CC{index % 3}"


def test_deactivation_and_deletes_under_faults(make_server: Any, make_client: Any) -> None:
    server = make_server(seed=9)
    client = make_client(server.url)
    ids = [create_or_adopt(client, rich_user(index)).user.id for index in range(40)]
    server.set_faults(**{**MODES["combined"], "lost_response_rate": 0.1})
    for user_id in ids[:20]:
        assert user_id is not None
        assert client.deactivate_user(user_id).active is False
    for user_id in ids[20:]:
        assert user_id is not None
        client.delete_user(user_id)
    server.set_faults(**NO_FAULTS)
    stored = stored_users(server)
    assert sorted(user.id or "" for user in stored) == sorted(i or "" for i in ids[:20])
    assert all(user.active is False for user in stored)


def test_retry_after_is_honoured(make_server: Any, make_client: Any) -> None:
    server = make_server(throttle_rate=1.0, retry_after=0.2)
    client = make_client(server.url, max_attempts=3)
    started = time.monotonic()
    with pytest.raises(ThrottledError) as raised:
        client.list_users()
    elapsed = time.monotonic() - started
    # Two waits of Retry-After; the configured backoff alone would take milliseconds.
    assert 0.4 <= elapsed < 3.0
    assert raised.value.attempts == 3 and raised.value.status == 429
    assert "after 3 attempts" in str(raised.value) and "0.2 s" in str(raised.value)
    assert server.stats()["total"] == 3


def test_retry_after_beyond_the_deadline_stops_at_once(make_server: Any, make_client: Any) -> None:
    server = make_server(throttle_rate=1.0, retry_after=30)
    client = make_client(server.url, retry_deadline=2.0)
    started = time.monotonic()
    with pytest.raises(ThrottledError, match="asked to wait 30 s"):
        client.get_user("1")
    assert time.monotonic() - started < 1.5
    assert server.stats()["total"] == 1


def test_server_errors_exhaust_the_attempts(make_server: Any, make_client: Any) -> None:
    server = make_server(error_rate=1.0)
    client = make_client(server.url, max_attempts=4)
    with pytest.raises(ServerError) as raised:
        client.get_user("1")
    assert raised.value.attempts == 4 and raised.value.status in (500, 503)
    assert server.stats()["total"] == 4


def test_deadline_bounds_the_retries(make_server: Any, make_client: Any) -> None:
    server = make_server(error_rate=1.0)
    client = make_client(
        server.url, max_attempts=1000, backoff_initial=0.05, backoff_max=0.1, retry_deadline=0.5
    )
    started = time.monotonic()
    with pytest.raises(ServerError):
        client.list_users()
    assert time.monotonic() - started < 1.0
    assert 2 < server.stats()["total"] < 20


def test_create_is_not_repeated_when_lookups_fail(make_server: Any, make_client: Any) -> None:
    server = make_server(error_rate=1.0, seed=2)
    client = make_client(server.url, max_attempts=3)
    with pytest.raises(ServerError):
        create_or_adopt(client, rich_user(1), **FAST_LOOKUP)
    by_kind = server.stats()["by_method_kind"]
    # The first POST failed; the lookup before a second POST failed too, so none followed.
    assert by_kind["POST users"] == 1
    server.set_faults(**NO_FAULTS)
    assert server.users() == []


def test_drops_exhaust_into_a_connection_error(make_server: Any, make_client: Any) -> None:
    server = make_server(drop_rate=1.0)
    client = make_client(server.url, max_attempts=3)
    with pytest.raises(ScimConnectionError, match="after 3 attempts") as raised:
        client.get_user("1")
    assert raised.value.status is None and raised.value.path == "/Users/1"


def test_nothing_logged_contains_the_token(
    make_server: Any, make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = make_server(seed=4, **MODES["combined"])
    client: ScimClient = make_client(server.url)
    for index in range(20):
        user = create_or_adopt(client, rich_user(index), **FAST_LOOKUP).user
        assert user.id is not None
        client.patch_user(user.id, user, ScimUser(title="x"))
    assert "retrying" in caplog.text  # the retries were logged...
    assert TOKEN not in caplog.text  # ...without the token
