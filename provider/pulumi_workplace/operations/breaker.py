"""A per-run circuit breaker: stop writing once most operations fail (Entra's quarantine idea).

Entra quarantines a job when over 40 % of its events fail (after 5,000 failures); a run of this
provider is far smaller, so the breaker looks at the share after `min_operations` operations.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from pulumi_workplace.errors import RunRefused
from pulumi_workplace.settings import ConfigSource, SettingsError, read_setting

__all__ = ["BreakerState", "CircuitBreaker", "CircuitOpenError", "breaker_from"]

_LOG = logging.getLogger("pulumi_workplace.operations")

_REASON_SAMPLE = 5
# Distinct reasons tracked; past this, new ones are only counted (failure texts can be unique).
_REASON_LIMIT = 50
_REASON_LENGTH = 200


@dataclass(frozen=True, slots=True)
class BreakerState:
    """A snapshot of the breaker."""

    operations: int
    failures: int
    open: bool
    opened_at: datetime | None
    reasons: tuple[str, ...]
    """Up to five distinct failure reasons, most frequent first."""
    min_operations: int
    failure_share: float

    @property
    def share(self) -> float:
        """Failed operations as a share of all operations (0.0 when there were none)."""
        return self.failures / self.operations if self.operations else 0.0


class CircuitOpenError(RunRefused, RuntimeError):
    """Raised by `CircuitBreaker.check()` once the breaker is open."""

    def __init__(self, state: BreakerState) -> None:
        super().__init__(describe(state))
        self.state = state


def describe(state: BreakerState) -> str:
    """What happened and what to do, for an open breaker."""
    reasons = "; ".join(state.reasons) or "no reason recorded"
    return (
        f"Stopped: {state.failures} of {state.operations} operations failed in this run "
        f"({state.share:.0%}, over the limit of {state.failure_share:.0%} once "
        f"{state.min_operations} operations have run). Most common reasons: {reasons}. "
        "The remaining changes were not attempted. Fix the cause (check the token, permission "
        "and network with `pulumi-workplace test-connection`, and the failures in the "
        "provisioning log), then run again."
    )


class CircuitBreaker:
    """Counts successes and failures of one run and opens when too many fail. Thread-safe.

    Opens when at least `min_operations` operations have been recorded and the failure share
    is over `failure_share`; stays open for the rest of the run. `on_open` is called once, on
    the thread whose record opened it, outside the breaker's lock.
    """

    def __init__(
        self,
        *,
        min_operations: int = 20,
        failure_share: float = 0.4,
        on_open: Callable[[BreakerState], None] | None = None,
    ) -> None:
        if min_operations < 1:
            raise ValueError("min_operations must be at least 1")
        if not 0.0 <= failure_share < 1.0:
            raise ValueError("failure_share must be at least 0 and below 1")
        self._min = min_operations
        self._share = failure_share
        self._on_open = on_open
        self._lock = threading.Lock()
        self._operations = 0
        self._failures = 0
        self._opened_at: datetime | None = None
        self._reasons: Counter[str] = Counter()

    def __repr__(self) -> str:
        state = self.state
        return f"CircuitBreaker(failures={state.failures}/{state.operations}, open={state.open})"

    def record_success(self) -> None:
        """Count one operation that succeeded."""
        self._record(None)

    def record_failure(self, reason: str) -> None:
        """Count one operation that failed, and why."""
        self._record(" ".join(reason.split())[:_REASON_LENGTH] or "unknown")

    def allow(self) -> bool:
        """False once the breaker is open: the caller should not start another operation."""
        with self._lock:
            return self._opened_at is None

    def check(self) -> None:
        """Raise CircuitOpenError once the breaker is open."""
        state = self.state
        if state.open:
            raise CircuitOpenError(state)

    @property
    def state(self) -> BreakerState:
        """A consistent snapshot of the counters."""
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> BreakerState:
        return BreakerState(
            operations=self._operations,
            failures=self._failures,
            open=self._opened_at is not None,
            opened_at=self._opened_at,
            reasons=tuple(reason for reason, _ in self._reasons.most_common(_REASON_SAMPLE)),
            min_operations=self._min,
            failure_share=self._share,
        )

    def _record(self, reason: str | None) -> None:
        with self._lock:
            self._operations += 1
            if reason is not None:
                self._failures += 1
                if reason in self._reasons or len(self._reasons) < _REASON_LIMIT:
                    self._reasons[reason] += 1
            opening = (
                self._opened_at is None
                and self._operations >= self._min
                # Division, not multiplication: 8/20 is exactly the float 0.4, so "at" stays "at".
                and self._failures / self._operations > self._share
            )
            if not opening:
                return
            self._opened_at = datetime.now(UTC)
            state = self._snapshot()
        _LOG.error("%s", describe(state))
        if self._on_open is not None:
            try:
                self._on_open(state)
            except Exception:
                # The callback notifies; its failure must not turn into this operation's.
                _LOG.exception("circuit breaker on_open callback failed")


def breaker_from(
    config: ConfigSource,
    environ: Mapping[str, str] | None = None,
    *,
    on_open: Callable[[BreakerState], None] | None = None,
) -> CircuitBreaker | None:
    """A breaker from `workplace:circuitBreaker*` config; None when the percent is 0 (off)."""
    minimum = read_setting("circuitBreakerMinOperations", config, environ)
    percent = read_setting("circuitBreakerFailurePercent", config, environ)
    if percent is not None and percent >= 100:
        raise SettingsError("workplace:circuitBreakerFailurePercent must be below 100")
    if percent == 0:
        return None
    return CircuitBreaker(
        min_operations=20 if minimum is None else minimum,
        failure_share=0.4 if percent is None else percent / 100,
        on_open=on_open,
    )
