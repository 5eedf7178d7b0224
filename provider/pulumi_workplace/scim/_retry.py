"""SCIM's use of the shared retry policy (`pulumi_workplace._retry`).

Which outcomes are retryable is decided by the client, which knows the method and whether a
request is idempotent; it raises `RetryableOutcome` to ask for a retry.
"""

from __future__ import annotations

import logging
from typing import Literal

import httpx
import tenacity

from pulumi_workplace._retry import Retryable, RetryPolicy, parse_retry_after

__all__ = [
    "IDEMPOTENT_RETRYABLE_STATUSES",
    "RETRYABLE_STATUSES",
    "Processed",
    "RetryPolicy",
    "RetryableOutcome",
    "parse_retry_after",
    "retrying",
]

_LOG = logging.getLogger("pulumi_workplace.scim")

# Answers that say "not now" rather than "no": retried for every method (POST only after a
# lookup, see the client).
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
# 500 may mean the request was processed; only retried when repeating it is harmless.
IDEMPOTENT_RETRYABLE_STATUSES = RETRYABLE_STATUSES | {500}

Processed = Literal["no", "unlikely", "maybe"]


class RetryableOutcome(Retryable):
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
        super().__init__("retryable outcome", retry_after=retry_after)
        self.response = response
        self.error = error
        self.processed: Processed = processed

    def describe(self) -> str:
        """Short reason for logs."""
        if self.response is not None:
            return f"HTTP {self.response.status_code}"
        return type(self.error).__name__ if self.error is not None else "unknown"


def retrying(policy: RetryPolicy, what: str) -> tenacity.Retrying:
    """`policy.retrying()` for one call, logging each retry; `what` is the method and path."""

    def log_retry(failure: Retryable, attempt: int, wait: float) -> None:
        _LOG.info(
            "retrying %s after %s (attempt %d of %d) in %.2fs",
            what,
            failure.describe(),
            attempt,
            policy.max_attempts,
            wait,
        )

    return policy.retrying(on_retry=log_retry)
