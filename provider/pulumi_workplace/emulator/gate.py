"""The checks Workplace makes before it looks at a SCIM request."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from scim2_server.responses import ScimResponse

from pulumi_workplace.emulator.config import WRITE_METHODS, EmulatorConfig
from pulumi_workplace.emulator.wire import error_response

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment


def refusal(
    config: EmulatorConfig, environ: WSGIEnvironment, method: str, kind: str
) -> ScimResponse | None:
    """Return the refusal of a request, or None when it may be served.

    In order: bearer token (401), User-Agent (400; Meta's rule, not in the generic profile),
    permission (403), endpoint (404: a kind the profile does not serve, or discovery switched
    off), read-only organisation (403 on writes).
    """
    scheme, _, token = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
    # compare_digest: the comparison time does not tell how much of a guess was right.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), config.token.encode()
    ):
        return error_response(
            401,
            "Missing or invalid access token",
            headers={"WWW-Authenticate": 'Bearer realm="SCIM"'},
        )
    if config.profile_spec.meta_rules and not str(environ.get("HTTP_USER_AGENT", "")).strip():
        return error_response(400, "A User-Agent header is required", scim_type="invalidSyntax")
    if config.permission_denied:
        return error_response(403, "The access token lacks the Manage Accounts permission")
    if kind == "other" or (kind == "discovery" and not config.discovery):
        return error_response(404, f"No SCIM endpoint at {environ.get('PATH_INFO')!r}")
    if config.read_only and method in WRITE_METHODS:
        return error_response(
            403, "The organisation is read-only: accounts can be read but not changed"
        )
    return None
