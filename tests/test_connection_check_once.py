"""The provider process tests the connection once, however many threads plan a change at once."""

from __future__ import annotations

import threading

from pulumi_workplace.resources import _connection, _runtime


def test_concurrent_callers_share_one_connection_check(make_emulator, emulator_token):
    emulator = make_emulator()
    _runtime.reset()
    runtime = _runtime.configure(
        {"workplace:tenantUrl": emulator.url, "workplace:token": emulator_token}
    )
    try:
        emulator.reset_stats()
        threads = [threading.Thread(target=runtime.connection.verify_once) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert emulator.stats()["by_method_kind"]["GET users"] == 1
    finally:
        _runtime.reset()


def test_refresh_readers_take_users_while_the_listing_is_still_running():
    from pulumi_workplace.scim import ScimUser

    more_pages = threading.Event()

    def pages():
        yield ScimUser(id="1", user_name="first@example.com")
        more_pages.wait(10)  # the rest of the tenant is still on its way
        yield ScimUser(id="2", user_name="second@example.com")

    index = _connection._LiveIndex(pages)
    first = index.get("1")
    assert first is not None and first.user_name == "first@example.com"
    assert not more_pages.is_set() and index.users_if_listed() is None
    more_pages.set()
    assert index.get("2") is not None
    assert index.get("gone") is None  # only once the listing has ended
    assert len(index.users_if_listed() or []) == 2


def test_a_failed_listing_fails_every_reader():
    import httpx
    import pytest

    def pages():
        raise httpx.ConnectError("refused")
        yield  # pragma: no cover

    index = _connection._LiveIndex(pages)
    for _ in range(2):
        with pytest.raises(httpx.ConnectError):
            index.get("1")
