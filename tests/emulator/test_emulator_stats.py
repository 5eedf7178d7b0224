"""The request counters of /_emulator/stats and their Python twins."""

from __future__ import annotations

import httpx
from emulator_helpers import AUTH, create_user, patch_body, user_body


def test_stats_shape_and_counts(server, api, make_client):
    user = create_user(api, "a@example.com")
    api.get(f"Users/{user['id']}")
    api.get("Users")
    api.put(f"Users/{user['id']}", json=user_body("a@example.com"))
    api.patch(
        f"Users/{user['id']}", json=patch_body({"op": "replace", "path": "title", "value": "T"})
    )
    api.post("Users", json=user_body("A@example.com"))  # 409
    api.get("ServiceProviderConfig")
    api.get("Groups")  # 404, kind "other"
    make_client(server, headers={"User-Agent": "x"}).get("Users")  # 401
    api.delete(f"Users/{user['id']}")

    stats = httpx.get(f"{server.url}_emulator/stats").json()
    assert stats == server.stats()
    assert set(stats) == {
        "total",
        "by_method",
        "by_kind",
        "by_status",
        "by_method_kind",
        "writes",
        "faults",
        "invitations",
        "in_flight_peak",
    }
    assert stats["in_flight_peak"] == 1  # one request at a time from this client
    assert stats["total"] == 10
    assert stats["by_method"] == {"GET": 5, "POST": 2, "PUT": 1, "PATCH": 1, "DELETE": 1}
    assert stats["by_kind"] == {"users": 4, "user": 4, "discovery": 1, "other": 1}
    assert stats["by_status"] == {"201": 1, "200": 5, "409": 1, "404": 1, "401": 1, "204": 1}
    assert stats["by_method_kind"] == {
        "GET users": 2,
        "POST users": 2,
        "GET user": 1,
        "PUT user": 1,
        "PATCH user": 1,
        "DELETE user": 1,
        "GET discovery": 1,
        "GET other": 1,
    }
    assert stats["writes"] == 5
    assert stats["faults"] == {"error": 0, "throttle": 0, "drop": 0, "lost_response": 0}
    assert stats["invitations"] == 1


def test_reset_zeroes_every_counter(server, api):
    create_user(api, "a@example.com")
    assert httpx.post(f"{server.url}_emulator/stats/reset").status_code == 204
    stats = server.stats()
    assert stats["total"] == stats["writes"] == stats["invitations"] == 0
    assert stats["by_status"] == {}
    assert set(stats["by_method"].values()) == {0}
    api.get("Users")
    server.reset_stats()
    assert server.stats()["total"] == 0


def test_admin_calls_are_not_counted(server):
    for path in ("health", "stats", "users", "faults"):
        assert httpx.get(f"{server.url}_emulator/{path}").status_code == 200
    assert httpx.get(f"{server.url}_emulator/nothing").status_code == 404
    assert server.stats()["total"] == 0


def test_raw_user_dump(server, api):
    first = create_user(api, "a@example.com")
    second = create_user(api, "b@example.com")
    dump = httpx.get(f"{server.url}_emulator/users").json()
    assert [u["id"] for u in dump] == [first["id"], second["id"]]
    assert dump == server.users()
    one = httpx.get(f"{server.url}_emulator/users/{first['id']}").json()
    assert one["userName"] == "a@example.com"
    assert httpx.get(f"{server.url}_emulator/users/1").status_code == 404
    assert server.stats()["total"] == 2
    assert AUTH["Authorization"] not in str(dump)
