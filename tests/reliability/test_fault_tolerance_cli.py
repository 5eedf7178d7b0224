"""`pulumi up` of many `User` resources against a Workplace that fails a third of the time.

The emulator answers 500/503, throttles with 429 + Retry-After, drops connections before
processing and loses answers after processing (the request took effect, the client never hears
of it). Whatever happens, Workplace must end with exactly one account per declared user, each
as declared, and a rerun must only finish what is missing: no write to an account that is
already right.
"""

from __future__ import annotations

import re
import threading

import pytest
from reliability_helpers import (
    assert_accounts_as_declared,
    assert_state_matches_workplace,
    duplicates,
    mismatches,
    state_users,
    user_specs,
    versions,
)

pytestmark = pytest.mark.cli

N_USERS = 200
"""Accounts in the fault run (the issue's 1,000 run is benchmarks/reliability_large.py)."""
N_OUTAGE = 60
"""Accounts in the run interrupted by an outage."""

FAULTS = {
    "seed": 20261126,
    "error_rate": 0.2,  # 500 or 503, before processing
    "throttle_rate": 0.1,  # 429 with Retry-After
    "retry_after": 0.05,
    "drop_rate": 0.03,  # connection closed before processing
    "lost_response_rate": 0.03,  # processed, then the connection is closed unanswered
}
# For the rerun: the same kinds of faults, rare enough that 8 attempts in a row never all fail.
RERUN_FAULTS = {
    "error_rate": 0.05,
    "throttle_rate": 0.05,
    "drop_rate": 0.01,
    "lost_response_rate": 0.01,
}

_FAILED_RESOURCE = re.compile(r"pulumi-python:dynamic/workplace:User \((u\d{4})\):\s*\n\s*error:")


def _check_partial_run(project, emulator, specs, result) -> dict:
    """After a run that may have failed: no duplicate, no half-written account, state true.

    Returns the accounts by id.
    """
    accounts = emulator.users()
    assert duplicates(accounts) == {}, duplicates(accounts)
    assert len(accounts) <= len(specs)
    wanted = {s["user_name"].lower(): s for s in specs}
    for account in accounts:
        spec = wanted.get(account["userName"].lower())
        assert spec is not None, f"unexpected account {account['userName']}"
        # An account is only ever created whole (one POST with every attribute).
        assert mismatches(account, spec) == {}, account["userName"]
    # Every resource the state holds is a real account with that id and userName.
    by_id = {a["id"]: a for a in accounts}
    for name, entry in state_users(project).items():
        assert entry["id"] in by_id, f"{name}: id {entry['id']} not in Workplace"
    if result.returncode != 0:
        output = result.stdout + result.stderr
        failed = set(_FAILED_RESOURCE.findall(output))
        assert failed, f"the run failed without naming a resource:\n{output[-3000:]}"
        # Each failure says what went wrong in one line the operator can act on.
        assert "WorkplaceError: " in output
    return by_id


def _rerun_finishes_the_job(
    project, emulator, specs, before: dict, *, faults_off: bool = False
) -> None:
    """A second `up` creates exactly the missing accounts and writes nothing else.

    `before`: the accounts after the first run (all correct, see `_check_partial_run`).
    """
    missing = {s["user_name"].lower() for s in specs} - {
        a["userName"].lower() for a in before.values()
    }
    emulator.reset_stats()
    project.up()  # must succeed
    stats = emulator.stats()
    accounts = emulator.users()
    assert_accounts_as_declared(accounts, specs)
    assert_state_matches_workplace(project, accounts)
    # Accounts that were right were not written: same meta.version and lastModified.
    now = versions(accounts)
    rewritten = [i for i, v in versions(before.values()).items() if now[i] != v]
    assert rewritten == [], f"{len(rewritten)} correct account(s) written again"
    created = {a["userName"].lower() for a in accounts if a["id"] not in before}
    assert created == missing
    # An account whose create was interrupted (POST done, answer lost) is adopted, not PATCHed.
    assert stats["by_method_kind"]["PATCH user"] == 0, stats
    assert stats["by_method_kind"]["PUT user"] == 0 and stats["by_method_kind"]["DELETE user"] == 0
    if faults_off:
        # Without faults every request is answered: one POST per missing account, no more.
        assert stats["by_method_kind"]["POST users"] == len(missing), stats

    # And a third run has nothing left to do: no request at all.
    emulator.reset_stats()
    project.up("--expect-no-changes")
    assert emulator.stats()["total"] == 0


def test_up_under_faults_creates_each_account_exactly_once(make_emulator, wp_project):
    emulator = make_emulator(**FAULTS)
    specs = user_specs(N_USERS)
    project = wp_project(emulator, specs=specs)

    first = project.up(check=False)
    faults = emulator.stats()["faults"]
    # Every kind of fault really happened, many times.
    assert min(faults.values()) >= 5, faults
    before = _check_partial_run(project, emulator, specs, first)
    if first.returncode == 0:
        assert len(before) == N_USERS
    emulator.set_faults(**RERUN_FAULTS)
    _rerun_finishes_the_job(project, emulator, specs, before)


def test_rerun_after_an_outage_finishes_without_rewriting_done_accounts(make_emulator, wp_project):
    """An outage in the middle of the run makes it fail for sure; the rerun completes it."""
    # Before the outage: answers lost after processing, and throttling; retried within budget.
    emulator = make_emulator(
        seed=7, lost_response_rate=0.1, throttle_rate=0.1, retry_after=FAULTS["retry_after"]
    )
    specs = user_specs(N_OUTAGE)
    project = wp_project(emulator, specs=specs)
    # A short retry budget, so the outage fails the run in seconds.
    project.config_set("workplace:retryDeadline", "3")

    stop = threading.Event()

    def outage_at_half() -> None:
        while not stop.wait(0.02):
            if len(emulator.users()) >= N_OUTAGE // 2:
                # Every request now fails before processing.
                emulator.set_faults(error_rate=0.9, drop_rate=0.1, throttle_rate=0.0)
                return

    watcher = threading.Thread(target=outage_at_half, daemon=True)
    watcher.start()
    try:
        first = project.up(check=False)
    finally:
        stop.set()
        watcher.join()
    assert first.returncode != 0, "the outage did not fail the run"
    before = _check_partial_run(project, emulator, specs, first)
    assert N_OUTAGE // 2 <= len(before) < N_OUTAGE

    emulator.set_faults(error_rate=0.0, drop_rate=0.0, throttle_rate=0.0, lost_response_rate=0.0)
    _rerun_finishes_the_job(project, emulator, specs, before, faults_off=True)
