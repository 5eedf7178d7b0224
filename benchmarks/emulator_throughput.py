"""Measure the Workplace emulator's requests per second for user creates and gets.

Starts `pulumi-workplace emulator` as a subprocess on a free loopback port, with a data file so
persistence is included, then drives it with a few concurrent httpx clients in two bounded
phases (creates, then gets of the created users). Prints one JSON object and exits 0 when both
phases reach the target rate.

    python benchmarks/emulator_throughput.py [--requests 2000] [--clients 4] [--target 500]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

TOKEN = "benchmark-token"  # noqa: S105 - a throwaway token for a loopback emulator
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "User-Agent": "pulumi-workplace-benchmark"}
START_TIMEOUT = 60.0


def _start(data_file: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "WORKPLACE_EMULATOR_TOKEN": TOKEN}
    command = [sys.executable, "-m", "pulumi_workplace.cli", "emulator", "--data", str(data_file)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    found: list[str] = []

    def _read() -> None:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on " in line:
            found.append(line.rsplit("listening on ", 1)[1].strip())

    reader = threading.Thread(target=_read, daemon=True)
    reader.start()
    reader.join(START_TIMEOUT)
    if not found:
        process.kill()
        raise SystemExit("the emulator did not report that it was listening")
    return process, found[0]


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used, from /proc; None where there is no /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _phase(
    name: str, clients: int, jobs: list[Any], work: Any, url: str, pid: int
) -> tuple[dict[str, Any], list[Any]]:
    """Run `work(client, job)` for every job on `clients` threads; return stats and results.

    Besides the rate, it reports the emulator's CPU time per request: unlike the rate, that
    does not drop when other programs compete for the two cores.
    """
    chunks = [jobs[index::clients] for index in range(clients)]

    def _run(chunk: list[Any]) -> tuple[list[Any], int]:
        results: list[Any] = []
        errors = 0
        with httpx.Client(base_url=url, headers=HEADERS, timeout=30.0) as client:
            for job in chunk:
                try:
                    results.append(work(client, job))
                except (httpx.HTTPError, AssertionError):
                    errors += 1
        return results, errors

    cpu_before = _cpu_seconds(pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        outcomes = list(pool.map(_run, chunks))
    elapsed = time.perf_counter() - started
    cpu_after = _cpu_seconds(pid)
    results = [result for chunk_results, _ in outcomes for result in chunk_results]
    errors = sum(errors for _, errors in outcomes)
    stats = {
        "phase": name,
        "requests": len(jobs),
        "errors": errors,
        "seconds": round(elapsed, 3),
        "requests_per_second": round(len(jobs) / elapsed, 1),
        "server_cpu_ms_per_request": (
            None
            if cpu_before is None or cpu_after is None
            else round((cpu_after - cpu_before) * 1000 / len(jobs), 3)
        ),
    }
    return stats, results


def _create(client: httpx.Client, index: int) -> str:
    body = {
        "schemas": [CORE],
        "userName": f"bench.user{index}@example.com",
        "name": {
            "formatted": f"Bench User {index}",
            "givenName": "Bench",
            "familyName": str(index),
        },
        "emails": [{"value": f"bench.user{index}@example.com", "type": "work", "primary": True}],
        "active": True,
    }
    response = client.post("Users", json=body)
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id


def _get(client: httpx.Client, user_id: str) -> None:
    response = client.get(f"Users/{user_id}")
    assert response.status_code == 200, response.text


def main() -> int:
    """Run the benchmark and print its JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per phase")
    parser.add_argument("--clients", type=int, default=4, help="concurrent httpx clients")
    parser.add_argument("--target", type=float, default=500.0, help="requests/second to reach")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        data_file = Path(directory) / "emulator.jsonl"
        process, url = _start(data_file)
        try:
            jobs = list(range(args.requests))
            creates, ids = _phase("create", args.clients, jobs, _create, url, process.pid)
            gets, _ = _phase("get", args.clients, ids or ["0"], _get, url, process.pid)
            stats = httpx.get(f"{url}_emulator/stats", timeout=10.0).json()
        finally:
            process.send_signal(signal.SIGTERM)
            exit_code = process.wait(timeout=60)
        persisted = sum(1 for line in data_file.read_text().splitlines() if '"put"' in line)

    phases = [creates, gets]
    ok = exit_code == 0 and all(
        phase["errors"] == 0 and phase["requests_per_second"] >= args.target for phase in phases
    )
    result = {
        "benchmark": "emulator_throughput",
        "clients": args.clients,
        "target_requests_per_second": args.target,
        "phases": phases,
        "server_requests_counted": stats["total"],
        "users_persisted": persisted,
        "emulator_exit_code": exit_code,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "ok": ok,
    }
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
