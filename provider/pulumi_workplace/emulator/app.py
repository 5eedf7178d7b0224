"""The emulator WSGI application: Workplace gatekeeping and faults around scim2-server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from wsgiref.util import application_uri

from scim2_models import SCIMException, ScimProvider
from scim2_server.applications.wsgi import WSGIApplication
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse

from pulumi_workplace.emulator import legacy
from pulumi_workplace.emulator.admin import PREFIX, Admin
from pulumi_workplace.emulator.config import EmulatorConfig
from pulumi_workplace.emulator.faults import Fault, FaultInjector
from pulumi_workplace.emulator.gate import refusal
from pulumi_workplace.emulator.merge import merge_user
from pulumi_workplace.emulator.routes import classify, scim_path, user_id
from pulumi_workplace.emulator.service import WorkplaceService
from pulumi_workplace.emulator.stats import Stats
from pulumi_workplace.emulator.store import UserStore
from pulumi_workplace.emulator.wire import DropConnection, error_response, render, send

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def _seconds(value: float) -> str:
    """Format Retry-After: whole seconds as an integer, fractions (for tests) as they are."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class _ScimApplication(WSGIApplication):
    """scim2-server at the server root (no /v2), with authentication left to EmulatorApp."""

    @staticmethod
    def get_base_url(environ: WSGIEnvironment) -> str:
        return application_uri(environ).rstrip("/")

    @staticmethod
    def split_path(path: str) -> str:
        return path

    def needs_auth(self, request: ScimRequest) -> bool:
        return False


class EmulatorApp:
    """WSGI application of the emulator.

    A SCIM request goes through: fault draw, token, User-Agent, permission and mode checks,
    1.0 URN rewriting, then scim2-server; the admin endpoints bypass all of it. The profile
    (`config.profile_spec`) says which endpoints exist and which of these steps apply.
    """

    def __init__(
        self,
        config: EmulatorConfig,
        provider: ScimProvider,
        store: UserStore,
        stats: Stats,
        faults: FaultInjector,
    ) -> None:
        self._config = config
        self._profile = config.profile_spec
        self._stats = stats
        self._faults = faults
        self._store = store
        self._admin = Admin(store, stats, faults)
        self._scim = _ScimApplication(store, provider, WorkplaceService(provider, config))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one request."""
        path = str(environ.get("PATH_INFO") or "/")
        if path == PREFIX or path.startswith(PREFIX + "/"):
            return send(start_response, *self._admin.handle(environ))
        return self._serve_scim(environ, start_response, path)

    def _serve_scim(
        self, environ: WSGIEnvironment, start_response: StartResponse, path: str
    ) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        kind = classify(path, self._profile.endpoints)
        decision = self._faults.draw(method)
        status: int | None = None
        fault: str | None = None
        self._stats.enter()
        try:
            if decision.before is Fault.DROP:
                fault = "drop"
                _read_body(environ)  # read it, so the close is a clean FIN and not a reset
                self._delay()
                raise DropConnection
            if decision.before is Fault.ERROR:
                fault = "error"
                response = error_response(decision.error_status, "Injected server error")
            elif decision.before is Fault.THROTTLE:
                fault = "throttle"
                retry_after = _seconds(self._faults.settings.retry_after)
                response = error_response(
                    429, "Too many requests; retry later", headers={"Retry-After": retry_after}
                )
            else:
                response = self._process(environ, method, kind, path)
                if decision.lost_response:
                    fault = "lost_response"
                    self._delay()
                    raise DropConnection
            self._delay()
            rendered = render(response, self._config.error_format)
            status = rendered[0]
            return send(start_response, *rendered)
        finally:
            self._stats.leave()
            self._stats.record(method, kind, status, fault)

    def _delay(self) -> None:
        latency = self._faults.settings.latency_ms
        if latency:
            time.sleep(latency / 1000)

    def _process(self, environ: WSGIEnvironment, method: str, kind: str, path: str) -> ScimResponse:
        refused = refusal(self._config, environ, method, kind)
        if refused is not None:
            return refused
        request = self._scim.read_request(environ)
        request.path = scim_path(path, self._profile.path_aliases)
        try:
            request.body = self._rewrite_body(method, kind, request.body)
        except SCIMException as error:
            return self._scim.service.error_response(error)
        if method == "PUT" and kind == "user" and self._config.put_semantics == "merge":
            # Merging reads the stored user: hold the storage lock (re-entrant) until the
            # replacement is stored, so no other write lands in between.
            with self._store.lock:
                request.body = self._merge_body(user_id(path), request.body)
                response = self._scim.serve(request)
        else:
            response = self._scim.serve(request)
        if self._config.numeric_ids and response.body is not None and kind in ("users", "user"):
            _numeric_ids(response.body)
        return response

    def _rewrite_body(self, method: str, kind: str, body: bytes) -> bytes:
        """Rewrite 1.0 schema URNs of a user write into 2.0 form (or refuse them).

        A host without 1.0 URNs (the generic profile) gets the body as it is.
        """
        if not self._profile.legacy_urns:
            return body
        if method not in ("POST", "PUT", "PATCH") or kind not in ("users", "user"):
            return body
        if b"urn:scim:" not in body.lower():
            return body  # fast path: no 1.0 URN anywhere
        try:
            document = json.loads(body)
        except ValueError:
            return body  # scim2-server answers the syntax error
        reject = self._config.reject_v1_urns
        if method == "PATCH":
            document = legacy.translate_patch(document, reject=reject)
        else:
            document = legacy.translate_resource(document, reject=reject)
        return json.dumps(document).encode()

    def _merge_body(self, user_id: str, body: bytes) -> bytes:
        """Return a PUT body laid over the stored user (merge semantics)."""
        stored = self._store.get_user(user_id)
        try:
            document = json.loads(body)
        except ValueError:
            return body  # scim2-server answers the syntax error
        if stored is None or not isinstance(document, dict):
            return body
        return json.dumps(merge_user(stored, document)).encode()


def _read_body(environ: WSGIEnvironment) -> None:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > 0:
        environ["wsgi.input"].read(length)


def _numeric_ids(body: dict[str, Any]) -> None:
    """Emit ids as JSON numbers, as some Workplace responses do."""
    resources = body.get("Resources")
    for item in [body, *(resources if isinstance(resources, list) else [])]:
        if isinstance(item, dict) and str(item.get("id", "")).isdigit():
            item["id"] = int(item["id"])
