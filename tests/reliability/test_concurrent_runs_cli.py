"""Two runs on one stack at once: the backend lock refuses the second; nothing is done twice."""

from __future__ import annotations

import pytest
from reliability_helpers import (
    Background,
    assert_accounts_as_declared,
    assert_state_matches_workplace,
    lock_files,
    user_specs,
    wait_until,
)

pytestmark = pytest.mark.cli

N_USERS = 200
LATENCY_MS = 100
"""Emulator latency per request: the first run holds the lock for several seconds."""
LOCKED = "the stack is currently locked by 1 lock(s)"
# Pulumi 3.274.1's file backend: a command that reads the checkpoint while the running update
# rewrites it can fail with this instead of the lock message. It fails safe (nothing runs);
# the command is then retried until the lock itself refuses it.
TORN_READ = "failed to load checkpoint: EOF"


def _refused(project, first, args: tuple[str, ...]) -> str:
    for _ in range(5):
        assert first.process.poll() is None, "the first run ended too early to overlap"
        second = project.run(*args, "--stack", project.stack, check=False)
        output = second.stdout + second.stderr
        assert second.returncode != 0, f"pulumi {' '.join(args)} was not refused:\n{output}"
        if TORN_READ not in output:
            return output
    raise AssertionError(f"pulumi {' '.join(args)}: only torn checkpoint reads:\n{output}")


def test_second_run_on_a_locked_stack_is_refused_and_nothing_is_written_twice(
    make_emulator, wp_project
):
    emulator = make_emulator(latency_ms=LATENCY_MS)
    specs = user_specs(N_USERS)
    project = wp_project(emulator, specs=specs)

    first = Background(project, "up", "--yes", "--skip-preview", "--stack", project.stack)
    try:
        wait_until(lambda: len(emulator.users()) >= 5, 180, "the first run to start creating")
        assert lock_files(project), "the running update holds no lock file"
        # Each command that writes state is refused while the first run is going.
        for args in (
            ("up", "--yes", "--skip-preview"),
            ("up", "--yes"),
            ("refresh", "--yes"),
            ("destroy", "--yes"),
        ):
            output = _refused(project, first, args)
            assert LOCKED in output, output
            assert "pulumi cancel" in output
        assert first.process.poll() is None, "the refusals did not overlap the first run"
        assert first.wait(300) == 0, first.output[-3000:]
    finally:
        if first.process.poll() is None:
            first.kill_session()

    stats = emulator.stats()
    accounts = emulator.users()
    assert stats["by_method_kind"]["POST users"] == N_USERS, stats
    assert stats["writes"] == N_USERS, stats
    assert_accounts_as_declared(accounts, specs)
    assert_state_matches_workplace(project, accounts)
    assert lock_files(project) == []
