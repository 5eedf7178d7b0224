"""The per-run circuit breaker: thresholds, the single on_open call, thread safety."""

from __future__ import annotations

import threading

import pytest

from pulumi_workplace.operations import BreakerState, CircuitBreaker, CircuitOpenError, breaker_from
from pulumi_workplace.settings import SettingsError


def _run(breaker: CircuitBreaker, failures: int, successes: int) -> None:
    for _ in range(successes):
        breaker.record_success()
    for _ in range(failures):
        breaker.record_failure("Workplace rejected the token (401)")


def test_stays_closed_below_min_operations_even_if_all_fail() -> None:
    breaker = CircuitBreaker(min_operations=20, failure_share=0.4)
    _run(breaker, failures=19, successes=0)
    assert breaker.allow() and not breaker.state.open
    breaker.check()  # does not raise
    breaker.record_failure("again")
    assert not breaker.allow()


def test_exactly_at_the_share_stays_closed_just_over_opens() -> None:
    breaker = CircuitBreaker(min_operations=20, failure_share=0.4)
    _run(breaker, failures=8, successes=12)  # 8/20 = 40 %: at, not over
    assert breaker.allow()
    breaker.record_failure("x")  # 9/21 = 42.9 %
    assert not breaker.allow()
    state = breaker.state
    assert (state.operations, state.failures, state.open) == (21, 9, True)
    assert state.opened_at is not None


@pytest.mark.parametrize(
    ("share", "failures", "successes", "open_"),
    [
        (0.35, 7, 13, False),  # 35 % exactly
        (0.35, 8, 13, True),  # 38 %
        (0.5, 10, 10, False),
        (0.5, 11, 10, True),
    ],
)
def test_share_boundaries(share: float, failures: int, successes: int, open_: bool) -> None:
    breaker = CircuitBreaker(min_operations=20, failure_share=share)
    _run(breaker, failures, successes)
    assert breaker.state.open is open_


def test_a_success_that_reaches_min_operations_can_open_it() -> None:
    breaker = CircuitBreaker(min_operations=10, failure_share=0.4)
    _run(breaker, failures=5, successes=4)  # 9 operations: not yet evaluated
    assert breaker.allow()
    breaker.record_success()  # 5/10 = 50 %
    assert not breaker.allow()


def test_on_open_is_called_exactly_once_across_threads() -> None:
    calls: list[BreakerState] = []
    breaker = CircuitBreaker(min_operations=20, failure_share=0.4, on_open=calls.append)

    def worker() -> None:
        for _ in range(100):
            breaker.record_failure("Cannot reach Workplace")
            breaker.record_success()
            breaker.record_failure("Timed out")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert calls[0].open and calls[0].operations >= 20
    state = breaker.state
    assert state.operations == 2400 and state.failures == 1600
    assert set(state.reasons) == {"Cannot reach Workplace", "Timed out"}


def test_check_message_says_how_many_failed_and_what_to_do() -> None:
    breaker = CircuitBreaker(min_operations=5, failure_share=0.4)
    _run(breaker, failures=4, successes=2)
    breaker.record_failure("Workplace rejected the token (401)")
    with pytest.raises(CircuitOpenError) as caught:
        breaker.check()
    message = str(caught.value)
    assert "5 of 7 operations failed" in message
    assert "71%" in message and "40%" in message
    assert "Workplace rejected the token (401)" in message
    assert "pulumi-workplace test-connection" in message
    assert caught.value.state.failures == 5


def test_a_failing_callback_does_not_break_the_breaker() -> None:
    def explode(state: BreakerState) -> None:
        raise RuntimeError("mail server down")

    breaker = CircuitBreaker(min_operations=1, failure_share=0.0, on_open=explode)
    breaker.record_failure("x")  # does not raise
    assert not breaker.allow()


def test_breaker_from_config() -> None:
    breaker = breaker_from(
        {"workplace:circuitBreakerMinOperations": "50"},
        {"WORKPLACE_CIRCUIT_BREAKER_FAILURE_PERCENT": "25"},
    )
    assert breaker is not None
    assert (breaker.state.min_operations, breaker.state.failure_share) == (50, 0.25)
    default = breaker_from({}, {})
    assert default is not None and default.state.min_operations == 20
    assert breaker_from({"workplace:circuitBreakerFailurePercent": 0}, {}) is None
    with pytest.raises(SettingsError, match="circuitBreakerMinOperations"):
        breaker_from({"workplace:circuitBreakerMinOperations": "many"}, {})
