"""State survives restarts and crashes; the data file holds up at 10,000 users."""

from __future__ import annotations

import json
import time

import pytest
from emulator_helpers import ACCOUNT, CORE, ENTERPRISE, create_user, search

from pulumi_workplace.emulator import EmulatorConfig, EmulatorServer
from pulumi_workplace.emulator.journal import JournalError


def test_users_ids_and_claims_survive_a_restart(make_emulator, make_client, tmp_path):
    data_file = tmp_path / "state" / "workplace.jsonl"
    first = make_emulator(data_file=data_file)
    client = make_client(first)
    boss = create_user(client, "boss@example.com")
    report = create_user(
        client, "r@example.com", **{ENTERPRISE: {"manager": {"value": boss["id"]}}}
    )
    gone = create_user(client, "gone@example.com")
    assert client.delete(f"Users/{gone['id']}").status_code == 204
    first.mark_claimed(boss["id"])
    before = first.users()
    first.stop()

    second = make_emulator(data_file=data_file)
    client = make_client(second)
    assert second.users() == before
    assert [u["id"] for u in before] == [boss["id"], report["id"]]
    assert client.get(f"Users/{boss['id']}").json()[ACCOUNT]["claimed"] is True
    assert client.delete(f"Users/{boss['id']}").status_code == 400
    assert search(client, 'userName eq "R@EXAMPLE.COM"')[0]["id"] == report["id"]
    # Ids are never reused, not even the deleted one; ETags keep increasing.
    new = create_user(client, "new@example.com")
    assert int(new["id"]) > int(gone["id"])
    versions = {int(u["meta"]["version"].strip('W/"')) for u in before}
    assert int(new["meta"]["version"].strip('W/"')) > max(versions)


def test_every_acknowledged_write_is_on_disk_before_stop(make_emulator, make_client, tmp_path):
    data_file = tmp_path / "workplace.jsonl"
    server = make_emulator(data_file=data_file)
    user = create_user(make_client(server), "durable@example.com")
    # No stop(): the file must already hold the user, as after a crash.
    lines = [json.loads(line) for line in data_file.read_text().splitlines()]
    assert any(line.get("put", {}).get("id") == user["id"] for line in lines)

    crashed_copy = tmp_path / "copy.jsonl"
    crashed_copy.write_bytes(data_file.read_bytes())
    revived = make_emulator(data_file=crashed_copy)
    assert [u["userName"] for u in revived.users()] == ["durable@example.com"]


def test_restart_compacts_superseded_records(make_emulator, make_client, tmp_path):
    data_file = tmp_path / "workplace.jsonl"
    server = make_emulator(data_file=data_file)
    client = make_client(server)
    user = create_user(client, "a@example.com")
    for title in ("one", "two", "three"):
        client.put(f"Users/{user['id']}", json={"schemas": [CORE], "userName": "a", "title": title})
    assert len(data_file.read_text().splitlines()) == 5  # header + create + 3 updates
    server.stop()
    assert len(data_file.read_text().splitlines()) == 2  # header + the live user


def test_torn_last_line_is_ignored(tmp_path):
    data_file = tmp_path / "workplace.jsonl"
    with EmulatorServer(EmulatorConfig(data_file=data_file)) as server:
        server_users = server.users()
    data_file.write_text(
        data_file.read_text()
        + json.dumps({"put": {"schemas": [CORE], "id": "100000000000001", "userName": "a"}})
        + "\n"
        + '{"put": {"schemas": ["urn'
    )
    with EmulatorServer(EmulatorConfig(data_file=data_file)) as server:
        assert [u["userName"] for u in server.users()] == ["a"]
    assert server_users == []
    assert all(json.loads(line) for line in data_file.read_text().splitlines())


def test_corrupt_middle_line_refuses_to_start(tmp_path):
    data_file = tmp_path / "workplace.jsonl"
    data_file.write_text('{"format": "pulumi-workplace-emulator", "version": 1}\nnot json\n{}\n')
    with pytest.raises(JournalError):
        EmulatorServer(EmulatorConfig(data_file=data_file)).start()


def test_ten_thousand_users(make_emulator, make_client, tmp_path):
    data_file = tmp_path / "big.jsonl"
    header = {"format": "pulumi-workplace-emulator", "version": 1, "next_id": 0}
    lines = [json.dumps(header)]
    for index in range(10_000):
        user = {
            "schemas": [CORE],
            "id": str(100_000_000_000_001 + index),
            "meta": {"resourceType": "User", "version": f'W/"{index + 1}"'},
            "userName": f"user{index}@example.com",
            "emails": [{"value": f"user{index}@example.com", "type": "work"}],
        }
        lines.append(json.dumps({"put": user}))
    data_file.write_text("\n".join(lines) + "\n")

    started = time.perf_counter()
    server = make_emulator(data_file=data_file)
    assert time.perf_counter() - started < 15
    client = make_client(server)
    page = client.get("Users", params={"startIndex": 9_991, "count": 50}).json()
    assert page["totalResults"] == 10_000
    assert page["itemsPerPage"] == 10
    assert search(client, 'userName eq "USER9999@example.com"')[0]["id"] == "100000000010000"
    assert create_user(client, "next@example.com")["id"] == "100000000010001"
