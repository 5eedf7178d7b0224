"""Retry policy on tenacity: bounded attempts and deadline, exponential backoff with jitter,
`Retry-After` honoured. Which outcomes are retryable is decided by the client, which knows the
method and whether a request is idempotent; it raises `RetryableOutcome` to ask for a retry.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

import httpx
import tenacity

_LOG = logging.getLogger("pulumi_workplace.scim")

# Answers that say "not now" rather than "no": retried for every method (POST only after a
# lookup, see the client).
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# 500 may mean the request was processed; only retried when repeating it is harmless.
IDEMPOTENT_RETRYABLE_STATUSES = RETRYABLE_STATUSES | {500}

Processed = Literal["no", "unlikely", "maybe"]

# Jitter only spreads retries out; it needs no cryptographic quality.
_JITTER = random.Random()  # noqa: S311


class RetryableOutcome(Exception):
    """Raised inside an attempt to ask for another one.

    Carries the failed response or transport error so the final error can be built from it
    once the budget is spent, and whether the server may have processed the request:
    "no" (never sent), "unlikely" (refused with 429/503) or "maybe" (answer lost, 5xx).
    """

    def __init__(
        self,
        *,
        response: httpx.Response | None = None,
        error: httpx.TransportError | None = None,
        retry_after: float | None = None,
        processed: Processed = "maybe",
    ) -> None:
        super().__init__("retryable outcome")
        self.response = response
        self.error = error
        self.retry_after = retry_after
        self.processed: Processed = processed

    def describe(self) -> str:
        """Short reason for logs."""
        if self.response is not None:
            return f"HTTP {self.response.status_code}"
        return type(self.error).__name__ if self.error is not None else "unknown"


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
    """How often and how long to retry one logical call."""

    max_attempts: int = 8
    deadline: float = 120.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.deadline <= 0 or self.backoff_initial < 0 or self.backoff_max < 0:
            raise ValueError("retry deadline and backoff must be positive")

    def backoff(self, attempt_number: int) -> float:
        """Wait after failed attempt `attempt_number`: exponential, capped, half of it jittered.

        Keeping half fixed avoids near-zero waits; jittering the other half spreads out
        callers that failed together.
        """
        ceiling = min(self.backoff_max, self.backoff_initial * 2.0 ** max(0, attempt_number - 1))
        return ceiling / 2 + _JITTER.uniform(0, ceiling / 2)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        outcome = state.outcome
        failure = outcome.exception() if outcome is not None else None
        if isinstance(failure, RetryableOutcome) and failure.retry_after is not None:
            return failure.retry_after
        return self.backoff(state.attempt_number)

    def retrying(self, what: str) -> tenacity.Retrying:
        """A tenacity controller for one call; `what` (method and path) is used in logs.

        Stops after `max_attempts`, or before a wait that would end past `deadline` seconds.
        Only `RetryableOutcome` is retried; it is re-raised when the budget is spent.
        """

        def log_retry(state: tenacity.RetryCallState) -> None:
            outcome = state.outcome
            failure = outcome.exception() if outcome is not None else None
            reason = failure.describe() if isinstance(failure, RetryableOutcome) else "error"
            wait = state.upcoming_sleep
            _LOG.info(
                "retrying %s after %s (attempt %d of %d) in %.2fs",
                what,
                reason,
                state.attempt_number,
                self.max_attempts,
                wait,
            )

        return tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts)
            | tenacity.stop_before_delay(self.deadline),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(RetryableOutcome),
            before_sleep=log_retry,
            reraise=True,
        )
