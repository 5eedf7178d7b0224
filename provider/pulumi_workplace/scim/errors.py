"""Exceptions raised by the SCIM client, and their construction from HTTP answers.

Every error carries the HTTP method and the URL *path* only: never the query string (filters
carry user names), never the full URL, never the token or the Authorization header.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pulumi_workplace._masking import Masker
from pulumi_workplace.errors import WorkplaceError

_DETAIL_LIMIT = 300

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ClaimedAccountError",
    "ClientRequestError",
    "ConflictError",
    "DuplicateTargetError",
    "InsecureTransportError",
    "NotFoundError",
    "PermissionDeniedError",
    "ScimConnectionError",
    "ScimError",
    "ServerError",
    "TLSError",
    "ThrottledError",
    "UnexpectedResponseError",
    "error_from_response",
]


def _rebuild(cls: type[ScimError], args: tuple[Any, ...], state: dict[str, Any]) -> ScimError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ScimError(WorkplaceError):
    """Base class of every error raised by `pulumi_workplace.scim`."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        scim_type: str | None = None,
        detail: str | None = None,
        method: str = "",
        path: str = "",
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.scim_type = scim_type
        self.detail = detail
        self.method = method
        self.path = path
        self.attempts = attempts

    def __str__(self) -> str:
        return self.message

    # Keyword-only constructor arguments defeat the default exception pickling, and Pulumi
    # may pickle errors across process boundaries.
    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class AuthenticationError(ScimError):
    """The token was rejected (401)."""


class PermissionDeniedError(ScimError):
    """The token is valid but not allowed to do this (403)."""


class NotFoundError(ScimError):
    """The resource does not exist (404)."""


class ConflictError(ScimError):
    """The request conflicts with an existing resource, usually a duplicate userName (409)."""


class ThrottledError(ScimError):
    """The service kept throttling (429) until the retry budget ran out."""


class ServerError(ScimError):
    """The service failed (5xx), after retries where retrying was safe."""


class ClientRequestError(ScimError):
    """The service rejected the request (a 4xx without a more specific class)."""


class BadRequestError(ClientRequestError):
    """The service rejected the request as malformed or invalid (400)."""


class ScimConnectionError(ScimError):
    """No HTTP answer: DNS failure, refused or dropped connection, timeout."""


class TLSError(ScimError):
    """TLS handshake or certificate verification failed."""


class InsecureTransportError(ScimError):
    """The base URL would send the token over plain HTTP to a non-loopback host."""


class ClaimedAccountError(ScimError):
    """Refused to delete an account that its owner has claimed; deactivate it instead."""


class DuplicateTargetError(ScimError):
    """A matching filter found more than one account, so the target is ambiguous."""


class UnexpectedResponseError(ScimError):
    """The service answered with something the client cannot use (bad JSON, paging loop)."""


# Shorter "secrets" are test placeholders; masking them would garble ordinary words.
_MIN_SECRET_LENGTH = 8


def token_masker(secrets: Iterable[str]) -> Masker:
    """The masker for SCIM texts: each secret (8+ characters) literally, no patterns."""
    return Masker(secrets, min_length=_MIN_SECRET_LENGTH, patterns=False)


def _one_line(text: str, limit: int = _DETAIL_LIMIT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def parse_error_body(body: bytes) -> tuple[str | None, str | None]:
    """Return `(scim_type, detail)` from an RFC 7644 Error, a Graph-style envelope or text."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return None, None
    try:
        data = json.loads(text)
    except ValueError:
        return None, text
    if not isinstance(data, dict):
        return None, text
    # RFC 7644 §3.12: {"schemas": [...Error], "status": "409", "scimType": ..., "detail": ...}
    if "detail" in data or "scimType" in data:
        scim_type = data.get("scimType")
        detail = data.get("detail")
        return (
            str(scim_type) if scim_type not in (None, "") else None,
            str(detail) if detail not in (None, "") else None,
        )
    # Graph-style envelope read by Meta's 1.x-era samples: {"error": {"message": ..., ...}}
    error = data.get("error")
    if isinstance(error, dict):
        message = error.get("message") or error.get("error_user_msg")
        kind = error.get("type") or error.get("code")
        return (str(kind) if kind not in (None, "") else None, str(message) if message else text)
    if isinstance(error, str):
        return None, error
    for key in ("message", "error_description"):
        if isinstance(data.get(key), str):
            return None, str(data[key])
    return None, text


def _attempts_note(attempts: int) -> str:
    return f" after {attempts} attempts" if attempts > 1 else ""


def error_from_response(
    *,
    status: int,
    method: str,
    path: str,
    body: bytes,
    secrets: Iterable[str] = (),
    attempts: int = 1,
) -> ScimError:
    """Build the exception for an HTTP error answer; classification is by status first."""
    secrets = tuple(secrets)
    scim_type, raw_detail = parse_error_body(body)
    mask = token_masker(secrets)
    detail = _one_line(mask.text(raw_detail)) if raw_detail else None
    scim_type = _one_line(mask.text(scim_type), 60) if scim_type else None
    where = f"{method} {path}"
    tail = f": {detail}" if detail else ""
    kind = f" {scim_type}" if scim_type else ""
    note = _attempts_note(attempts)
    cls: type[ScimError]
    if status == 401:
        cls = AuthenticationError
        message = (
            f"Workplace rejected the token (401) on {where}: "
            "check workplace:token / WORKPLACE_TOKEN" + tail
        )
    elif status == 403:
        cls = PermissionDeniedError
        message = (
            f"Workplace refused access (403) on {where}: the integration needs the "
            '"Manage Accounts" permission, and the caller IP must be on its allow-list' + tail
        )
    elif status == 404:
        cls = NotFoundError
        message = f"Not found (404) on {where}" + tail
    elif status == 409:
        cls = ConflictError
        message = (
            f"Conflict (409{kind}) on {where}: an account with the same unique attribute "
            "(usually userName) already exists" + tail
        )
    elif status == 429:
        cls = ThrottledError
        message = (
            f"Workplace kept throttling (429) on {where}{note}: "
            "retry later or lower the parallelism" + tail
        )
    elif status >= 500:
        cls = ServerError
        message = f"Workplace server error ({status}) on {where}{note}" + tail
    elif status == 400:
        cls = BadRequestError
        message = f"Workplace rejected the request (400{kind}) on {where}" + tail
    else:
        cls = ClientRequestError
        message = f"Workplace rejected the request ({status}{kind}) on {where}" + tail
    return cls(
        message,
        status=status,
        scim_type=scim_type,
        detail=detail,
        method=method,
        path=path,
        attempts=attempts,
    )
