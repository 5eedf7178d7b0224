"""The reliability scenarios at full size: 1,000 accounts through the real Pulumi CLI.

tests/reliability/ runs the same scenarios with a few hundred accounts so the suite stays
within minutes; this script runs them at the size of the issue, against the emulator over
loopback, fully offline (file backend, isolated PULUMI_HOME):

- faults: `pulumi up` of N users while the emulator answers 20 % 500/503, throttles 10 %
  (429, Retry-After 0.05 s), drops 3 % of connections and loses 3 % of answers after
  processing; then a rerun under milder faults. Exactly N accounts, no duplicate, every
  attribute as declared, no write to an account that was already right.
- crash: `pulumi up` of N users killed with SIGKILL once a third of the accounts exist, then
  the documented recovery (empty `*.attrs` / `*.tmp` state files removed, `pulumi cancel`,
  `pulumi refresh --clear-pending-creates`, `pulumi up`; see
  tests/reliability/test_crash_recovery_cli.py). Exactly N accounts, no duplicate, no orphan.
- concurrent: a second `pulumi up` on the stack while the first runs is refused by the lock;
  one POST per account.

    python benchmarks/reliability_large.py [--users 1000] [--scenarios faults,crash,concurrent]

Prints one JSON object (durations, request counts, faults met) and exits 0 when every
scenario holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "reliability")]

from reliability_helpers import (  # noqa: E402
    TOKEN,
    USERS_PROGRAM,
    Background,
    assert_accounts_as_declared,
    assert_state_matches_workplace,
    duplicates,
    lock_files,
    mismatches,
    pending_operations,
    repair_torn_sidecars,
    user_specs,
    versions,
    wait_until,
    write_specs,
)

from pulumi_harness import PulumiProject, find_pulumi  # noqa: E402
from pulumi_workplace.emulator import EmulatorConfig, EmulatorServer  # noqa: E402

FAULTS = {
    "error_rate": 0.2,
    "throttle_rate": 0.1,
    "retry_after": 0.05,
    "drop_rate": 0.03,
    "lost_response_rate": 0.03,
}
RERUN_FAULTS = {
    "error_rate": 0.05,
    "throttle_rate": 0.05,
    "drop_rate": 0.01,
    "lost_response_rate": 0.01,
}


def _project(base: Path, emulator: EmulatorServer, specs: list[dict[str, Any]]) -> PulumiProject:
    project = PulumiProject.create(base, USERS_PROGRAM)
    project.config_set("workplace:tenantUrl", emulator.url)
    project.config_set("workplace:token", TOKEN, secret=True)
    write_specs(project, specs)
    return project


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, round(time.monotonic() - started, 1)


def faults(base: Path, users: int, seed: int) -> dict[str, Any]:
    config = EmulatorConfig(token=TOKEN, data_file=base / "workplace.jsonl", seed=seed, **FAULTS)
    with EmulatorServer(config) as emulator:
        specs = user_specs(users)
        project = _project(base, emulator, specs)
        first, first_s = _timed(lambda: project.up(check=False))
        met = emulator.stats()["faults"]
        before = {a["id"]: a for a in emulator.users()}
        assert duplicates(before.values()) == {}, "duplicate accounts after the first run"
        wanted = {s["user_name"].lower(): s for s in specs}
        for account in before.values():
            assert mismatches(account, wanted[account["userName"].lower()]) == {}
        emulator.set_faults(**RERUN_FAULTS)
        emulator.reset_stats()
        _, second_s = _timed(project.up)
        stats = emulator.stats()
        final = emulator.users()
        assert_accounts_as_declared(final, specs)
        assert_state_matches_workplace(project, final)
        now = versions(final)
        rewritten = [i for i, v in versions(before.values()).items() if now[i] != v]
        assert rewritten == [], f"{len(rewritten)} correct account(s) written by the rerun"
        assert stats["by_method_kind"]["PATCH user"] == 0
        return {
            "users": users,
            "first_up_ok": first.returncode == 0,
            "first_up_s": first_s,
            "accounts_after_first_up": len(before),
            "faults_met": met,
            "rerun_s": second_s,
            "rerun_posts": stats["by_method_kind"]["POST users"],
        }


def crash(base: Path, users: int, latency_ms: int) -> dict[str, Any]:
    config = EmulatorConfig(token=TOKEN, data_file=base / "workplace.jsonl", latency_ms=latency_ms)
    with EmulatorServer(config) as emulator:
        specs = user_specs(users)
        project = _project(base, emulator, specs)
        run = Background(project, "up", "--yes", "--skip-preview", "--stack", project.stack)
        started = time.monotonic()
        wait_until(lambda: len(emulator.users()) >= users // 3, 1800, "a third of the accounts")
        killed_after = round(time.monotonic() - started, 1)
        survivors = run.kill_session()
        # Recovery step 2: a kill while the backend rewrote a `.attrs` sidecar leaves it empty.
        torn = [p.name for p in repair_torn_sidecars(project)]
        time.sleep(1)
        at_kill = emulator.users()
        done = versions(at_kill)
        pending = len(pending_operations(project))
        assert lock_files(project), "no stale lock after the kill"

        steps: dict[str, float] = {}
        _, steps["cancel_s"] = _timed(
            lambda: project.run("cancel", "--yes", "--stack", project.stack)
        )
        assert lock_files(project) == []
        _, steps["refresh_s"] = _timed(lambda: project.refresh("--clear-pending-creates"))
        assert pending_operations(project) == []
        emulator.reset_stats()
        _, steps["up_s"] = _timed(project.up)
        stats = emulator.stats()
        final = emulator.users()
        assert_accounts_as_declared(final, specs)
        assert_state_matches_workplace(project, final)
        assert stats["by_method_kind"]["POST users"] == users - len(at_kill)
        now = versions(final)
        assert all(now[i] == v for i, v in done.items()), "an account made before the kill changed"
        return {
            "users": users,
            "killed_after_s": killed_after,
            "accounts_at_kill": len(at_kill),
            "pending_creates_at_kill": pending,
            "plugin_processes_outliving_the_cli_group": len(survivors),
            "torn_state_files_removed": torn,
            **steps,
            "recovery_posts": stats["by_method_kind"]["POST users"],
        }


def concurrent(base: Path, users: int, latency_ms: int) -> dict[str, Any]:
    config = EmulatorConfig(token=TOKEN, data_file=base / "workplace.jsonl", latency_ms=latency_ms)
    with EmulatorServer(config) as emulator:
        specs = user_specs(users)
        project = _project(base, emulator, specs)
        first = Background(project, "up", "--yes", "--skip-preview", "--stack", project.stack)
        try:
            wait_until(lambda: len(emulator.users()) >= 10, 600, "the first run")
            for _ in range(5):
                second = project.up(check=False)
                assert first.process.poll() is None, "the first run ended before the second"
                assert second.returncode != 0
                # Pulumi's file backend may fail a concurrent read of the checkpoint it is
                # rewriting ("failed to load checkpoint: EOF"): safe, but not the lock; retry.
                if "failed to load checkpoint: EOF" not in second.stdout + second.stderr:
                    break
            assert "the stack is currently locked" in second.stdout + second.stderr
            assert first.wait(3600) == 0, first.output[-3000:]
        finally:
            if first.process.poll() is None:
                first.kill_session()
        stats = emulator.stats()
        final = emulator.users()
        assert stats["by_method_kind"]["POST users"] == users
        assert_accounts_as_declared(final, specs)
        assert_state_matches_workplace(project, final)
        return {"users": users, "posts": stats["by_method_kind"]["POST users"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--scenarios", default="faults,crash,concurrent")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--latency-ms", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()
    if find_pulumi() is None:
        print("pulumi CLI not found (run `make setup`)", file=sys.stderr)
        return 2
    runs: dict[str, Callable[[Path], dict[str, Any]]] = {
        "faults": lambda base: faults(base, args.users, args.seed),
        "crash": lambda base: crash(base, args.users, args.latency_ms),
        "concurrent": lambda base: concurrent(base, args.users, args.latency_ms),
    }
    report: dict[str, Any] = {}
    ok = True
    for name in [s.strip() for s in args.scenarios.split(",") if s.strip()]:
        base = Path(tempfile.mkdtemp(prefix=f"wp-reliability-{name}-"))
        started = time.monotonic()
        try:
            report[name] = {"ok": True, **runs[name](base)}
        except Exception as error:
            ok = False
            report[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"[:2000]}
            traceback.print_exc()
        report[name]["total_s"] = round(time.monotonic() - started, 1)
        if args.keep:
            report[name]["folder"] = str(base)
        else:
            shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
