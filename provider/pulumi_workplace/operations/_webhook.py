"""POSTing one JSON notification to a webhook with httpx, retrying transient failures."""

from __future__ import annotations

import math
import ssl
from collections.abc import Mapping
from typing import Any

import httpx

from pulumi_workplace._retry import Retryable, RetryPolicy
from pulumi_workplace._version import __version__
from pulumi_workplace.operations._delivery import DeliveryError

ATTEMPTS = 3
_BACKOFF_INITIAL = 0.5
_BACKOFF_MAX = 2.0
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def public_target(url: str) -> str:
    """Scheme, host and port of `url`: chat webhooks carry their secret in the path."""
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


class _Transient(Retryable):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def _tls_failure(error: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return "SSL" in str(error) or "CERTIFICATE" in str(error)


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    headers: Mapping[str, str],
    timeout: float,
    verify: ssl.SSLContext | bool,
) -> tuple[int, int]:
    """POST `payload`; return (HTTP status, attempts). Raise DeliveryError on failure.

    Connection errors, timeouts, 429 and 5xx are retried (ATTEMPTS in all, short exponential
    backoff); a certificate failure or another 4xx is final. Redirects are not followed, so
    the headers (which may hold credentials) go to this URL only.
    """
    target = public_target(url)
    sent = {"User-Agent": f"pulumi-workplace/{__version__}", **headers}
    with httpx.Client(timeout=timeout, verify=verify, follow_redirects=False) as client:

        def attempt() -> int:
            try:
                response = client.post(url, json=dict(payload), headers=sent)
            except httpx.TransportError as error:
                if _tls_failure(error):
                    raise DeliveryError(
                        f"TLS failure talking to webhook {target}: check the certificate "
                        "(workplace:notifyCaFile adds a private CA)"
                    ) from None
                raise _Transient(f"{type(error).__name__} talking to webhook {target}") from None
            if response.status_code in _RETRY_STATUSES:
                raise _Transient(
                    f"webhook {target} answered {response.status_code}", response.status_code
                )
            if response.status_code >= 300:
                raise DeliveryError(
                    f"webhook {target} answered {response.status_code}"
                    + (" (redirects are not followed)" if response.is_redirect else ""),
                    status=response.status_code,
                )
            return response.status_code

        retrying = RetryPolicy(
            max_attempts=ATTEMPTS,
            deadline=math.inf,
            backoff_initial=_BACKOFF_INITIAL,
            backoff_max=_BACKOFF_MAX,
            jitter=False,
        ).retrying()
        try:
            status = retrying(attempt)
        except _Transient as error:
            raise DeliveryError(
                f"{error.reason}, after {ATTEMPTS} attempts", attempts=ATTEMPTS, status=error.status
            ) from None
        except DeliveryError as error:
            error.attempts = retrying.statistics.get("attempt_number", 1)
            raise
        return status, int(retrying.statistics.get("attempt_number", 1))
