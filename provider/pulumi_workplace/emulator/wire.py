"""Turn emulator responses into WSGI responses, in the configured error format."""

from __future__ import annotations

import json
from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from scim2_server.responses import ScimResponse

from pulumi_workplace.emulator.config import ErrorFormat

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class DropConnection(Exception):
    """Raised by the application to have the server close the connection without answering."""


def error_response(
    status: int, detail: str, *, scim_type: str | None = None, headers: dict[str, str] | None = None
) -> ScimResponse:
    """Return an RFC 7644 error response."""
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return ScimResponse(HTTPStatus(status), body, dict(headers or {}))


def json_response(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    """Return a plain JSON response of the admin endpoints."""
    data = b"" if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return status, headers, data


def render(response: ScimResponse, error_format: ErrorFormat) -> tuple[int, dict[str, str], bytes]:
    """Return status, headers and body bytes; errors are reshaped to `error_format`.

    "graph" is the Graph API envelope older Workplace clients read, "text" a bare message.
    """
    status = int(response.status)
    headers = dict(response.headers)
    body = response.body
    if status >= 400 and body is not None and error_format != "scim":
        detail = str(body.get("detail") or HTTPStatus(status).phrase)
        if error_format == "graph":
            error = {
                "message": detail,
                "type": body.get("scimType") or "SCIMException",
                "code": status,
            }
            body = {"error": error}
            headers["Content-Type"] = "application/json"
        else:
            headers["Content-Type"] = "text/plain; charset=utf-8"
            return status, headers, detail.encode()
    data = b"" if body is None else json.dumps(body).encode()
    if body is None:
        headers.pop("Content-Type", None)
    return status, headers, data


def send(
    start_response: StartResponse, status: int, headers: dict[str, str], data: bytes
) -> Iterable[bytes]:
    """Start a WSGI response with an explicit Content-Length, so connections can be kept alive."""
    headers = {**headers, "Content-Length": str(len(data))}
    start_response(f"{status} {HTTPStatus(status).phrase}", list(headers.items()))
    return [data]
