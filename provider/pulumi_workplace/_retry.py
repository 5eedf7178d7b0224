"""The one retry mechanism, on tenacity: bounded attempts and time, exponential backoff
(jitter optional), `Retry-After` honoured.

An attempt raises `Retryable` to ask for another one; the last one is re-raised when the budget
is spent. Other exceptions end the call at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import tenacity

__all__ = ["OnRetry", "RetryPolicy", "Retryable", "parse_retry_after"]

# Jitter only spreads retries out; it needs no cryptographic quality.
_JITTER = random.Random()  # noqa: S311


class Retryable(Exception):
    """Raised inside an attempt to ask for another one.

    `retry_after` (seconds the server asked for) replaces the backoff before the next attempt.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after

    def describe(self) -> str:
        """Short reason for logs."""
        return str(self)


OnRetry = Callable[[Retryable, int, float], None]
"""Called before each wait with the failure, the number of the failed attempt and the wait."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long (seconds, `math.inf` for no limit) to retry one logical call."""

    max_attempts: int = 8
    deadline: float = 120.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.deadline <= 0 or self.backoff_initial < 0 or self.backoff_max < 0:
            raise ValueError("retry deadline and backoff must be positive")

    def backoff(self, attempt_number: int) -> float:
        """Wait after failed attempt `attempt_number`: doubling from `backoff_initial`, capped.

        With jitter, half of it is fixed, which avoids near-zero waits, and half is random,
        which spreads out callers that failed together.
        """
        ceiling = min(self.backoff_max, self.backoff_initial * 2.0 ** max(0, attempt_number - 1))
        if not self.jitter:
            return ceiling
        return ceiling / 2 + _JITTER.uniform(0, ceiling / 2)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        failure = outcome.exception() if outcome is not None else None
        if isinstance(failure, Retryable) and failure.retry_after is not None:
            return failure.retry_after
        return self.backoff(state.attempt_number)

    def retrying(
        self,
        *,
        on_retry: OnRetry | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> tenacity.Retrying:
        """A tenacity controller for one call; `sleep` replaces `time.sleep` (for tests).

        Stops after `max_attempts`, or before a wait that would end past `deadline` seconds.
        """

        def before_sleep(state: tenacity.RetryCallState) -> None:
            outcome = state.outcome
            failure = outcome.exception() if outcome is not None else None
            if on_retry is not None and isinstance(failure, Retryable):
                on_retry(failure, state.attempt_number, state.upcoming_sleep)

        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts)
            | tenacity.stop_before_delay(self.deadline),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(Retryable),
            before_sleep=before_sleep,
            sleep=sleep if sleep is not None else tenacity.nap.sleep,
            reraise=True,
        )
