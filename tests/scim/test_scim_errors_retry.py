"""Error construction from HTTP answers, Retry-After parsing and the backoff policy."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from pulumi_workplace.scim import (
    AuthenticationError,
    BadRequestError,
    ClientRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ScimError,
    ServerError,
    ThrottledError,
)
from pulumi_workplace.scim._retry import RetryPolicy, parse_retry_after
from pulumi_workplace.scim.errors import error_from_response, parse_error_body

SECRET = "tok-SECRET-123"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, ClientRequestError),
        (429, ThrottledError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_picks_the_class(status: int, cls: type[ScimError]) -> None:
    error = error_from_response(status=status, method="GET", path="/Users", body=b"")
    assert type(error) is cls
    assert error.status == status and error.method == "GET" and error.path == "/Users"
    assert "\n" not in str(error)


def test_messages_are_actionable() -> None:
    error = error_from_response(status=401, method="GET", path="/Users", body=b"")
    assert str(error) == (
        "Workplace rejected the token (401) on GET /Users: check workplace:token / WORKPLACE_TOKEN"
    )
    denied = error_from_response(status=403, method="POST", path="/Users", body=b"")
    assert "Manage Accounts" in str(denied)


def test_rfc_error_body() -> None:
    body = json.dumps(
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "409",
            "scimType": "uniqueness",
            "detail": "userName taken",
        }
    ).encode()
    error = error_from_response(status=409, method="POST", path="/Users", body=body)
    assert (error.scim_type, error.detail) == ("uniqueness", "userName taken")
    assert "userName taken" in str(error) and "uniqueness" in str(error)


def test_graph_error_body() -> None:
    body = b'{"error": {"message": "Invalid OAuth access token.", "type": "OAuthException"}}'
    assert parse_error_body(body) == ("OAuthException", "Invalid OAuth access token.")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", (None, None)),
        (b"Service Unavailable", (None, "Service Unavailable")),
        (b"[1, 2]", (None, "[1, 2]")),
        (b'{"message": "m"}', (None, "m")),
        (b'{"error": "plain"}', (None, "plain")),
    ],
)
def test_other_bodies(body: bytes, expected: tuple[str | None, str | None]) -> None:
    assert parse_error_body(body) == expected


def test_plain_text_is_flattened_and_truncated() -> None:
    body = ("<html>\n<body>" + "x" * 2000 + "</body></html>").encode()
    error = error_from_response(status=502, method="GET", path="/Users", body=body)
    assert error.detail is not None and len(error.detail) <= 300 and "\n" not in error.detail


def test_secrets_in_bodies_are_redacted() -> None:
    body = json.dumps({"detail": f"bad token {SECRET} for Bearer {SECRET}"}).encode()
    error = error_from_response(
        status=401, method="GET", path="/Users", body=body, secrets=(SECRET,)
    )
    for text in (str(error), repr(error), error.detail or "", *map(str, error.args)):
        assert SECRET not in text


def test_errors_pickle_with_their_attributes() -> None:
    error = error_from_response(status=409, method="POST", path="/Users", body=b"", attempts=3)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(copy) is ConflictError
    assert (copy.status, copy.method, copy.path, copy.attempts, str(copy)) == (
        409,
        "POST",
        "/Users",
        3,
        str(error),
    )


def test_retry_after_seconds_and_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("0.25") == 0.25
    assert parse_retry_after(" 7 ") == 7.0
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(30.0)
    earlier = format_datetime(now - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0
    assert parse_retry_after("-3") == 0.0
    for bad in (None, "", "soon", "nan"):
        assert parse_retry_after(bad) is None


def test_backoff_grows_is_capped_and_jittered() -> None:
    policy = RetryPolicy(backoff_initial=1.0, backoff_max=8.0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        waits = [policy.backoff(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 1


def test_policy_validates() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="deadline"):
        RetryPolicy(deadline=0)
