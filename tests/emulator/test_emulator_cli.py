"""`pulumi-workplace emulator` as a real subprocess: ready line, signals, persistence."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from emulator_helpers import TOKEN, USER_AGENT, user_body

from pulumi_workplace.emulator import EmulatorConfig, EmulatorServer

READY = "Workplace emulator listening on "


def _spawn(*args: str, token: str | None = TOKEN) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "WORKPLACE_EMULATOR_TOKEN"}
    if token is not None:
        env["WORKPLACE_EMULATOR_TOKEN"] = token
    command = [sys.executable, "-m", "pulumi_workplace.cli", "emulator", *args]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _ready_url(process: subprocess.Popen[str]) -> str:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(30)
    assert lines and lines[0].startswith(READY), lines
    return lines[0].removeprefix(READY).strip()


@pytest.fixture
def spawned() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def _client(url: str) -> httpx.Client:
    return httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {TOKEN}", "User-Agent": USER_AGENT}
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serves_until_signal_then_persists(spawned, tmp_path: Path, stop_signal):
    data_file = tmp_path / "workplace.jsonl"
    process = _spawn("--port", "0", "--data", str(data_file), "--put-semantics", "merge")
    spawned.append(process)
    url = _ready_url(process)
    assert url.startswith("http://127.0.0.1:") and url.endswith("/")
    with _client(url) as client:
        created = client.post("Users", json=user_body("cli@example.com"))
        assert created.status_code == 201
        assert client.get("Users").json()["totalResults"] == 1

    process.send_signal(stop_signal)
    assert process.wait(20) == 0
    output = process.stdout.read() + process.stderr.read()  # type: ignore[union-attr]
    assert TOKEN not in output

    with EmulatorServer(EmulatorConfig(data_file=data_file)) as server:
        assert [u["id"] for u in server.users()] == [created.json()["id"]]


def test_acknowledged_write_survives_sigkill(spawned, tmp_path: Path):
    data_file = tmp_path / "workplace.jsonl"
    process = _spawn("--data", str(data_file))
    spawned.append(process)
    with _client(_ready_url(process)) as client:
        created = client.post("Users", json=user_body("crash@example.com")).json()
    process.kill()
    process.wait(10)
    with EmulatorServer(EmulatorConfig(data_file=data_file)) as server:
        assert [u["id"] for u in server.users()] == [created["id"]]


def test_flags_reach_the_configuration(spawned):
    process = _spawn("--throttle-rate", "1", "--retry-after", "0.05", "--no-discovery")
    spawned.append(process)
    url = _ready_url(process)
    with _client(url) as client:
        throttled = client.get("Users")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "0.05"
    faults = httpx.get(f"{url}_emulator/faults").json()
    assert faults["throttle_rate"] == 1.0
    httpx.post(f"{url}_emulator/faults", json={"throttle_rate": 0})
    with _client(url) as client:
        assert client.get("ServiceProviderConfig").status_code == 404


def test_token_flag_is_accepted(spawned):
    process = _spawn("--token", "flag-token", token=None)
    spawned.append(process)
    url = _ready_url(process)
    response = httpx.get(
        f"{url}Users", headers={"Authorization": "Bearer flag-token", "User-Agent": "x"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("args", "token", "message"),
    [
        ((), None, "WORKPLACE_EMULATOR_TOKEN"),
        (("--error-rate", "2"), TOKEN, "error_rate"),
        (("--host", "0.0.0.0"), TOKEN, "loopback"),  # noqa: S104 - the refused address
    ],
)
def test_bad_settings_exit_2(args, token, message):
    process = _spawn(*args, token=token)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert message in stderr
    assert READY not in stdout
    assert TOKEN not in stderr
