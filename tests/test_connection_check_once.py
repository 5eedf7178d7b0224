"""The provider process tests the connection once, however many threads plan a change at once."""

from __future__ import annotations

import threading

from pulumi_workplace.resources import _connection


def test_concurrent_callers_share_one_connection_check(make_emulator, emulator_token):
    emulator = make_emulator()
    _connection.reset()
    _connection.configure({"workplace:tenantUrl": emulator.url, "workplace:token": emulator_token})
    try:
        emulator.reset_stats()
        threads = [threading.Thread(target=_connection.verify_once) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert emulator.stats()["by_method_kind"]["GET users"] == 1
    finally:
        _connection.reset()
