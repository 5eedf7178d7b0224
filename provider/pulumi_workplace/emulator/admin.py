"""The /_emulator endpoints: health, stats, raw users, claims and fault settings.

They need no token, are never faulted and are not counted in the stats.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from scim2_models import NotFoundException

from pulumi_workplace.emulator.faults import FaultInjector
from pulumi_workplace.emulator.stats import Stats
from pulumi_workplace.emulator.store import UserStore
from pulumi_workplace.emulator.wire import json_response

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

PREFIX = "/_emulator"

_FAULT_FIELDS = {
    "error_rate",
    "throttle_rate",
    "drop_rate",
    "lost_response_rate",
    "retry_after",
    "latency_ms",
    "methods",
}

Response = tuple[int, dict[str, str], bytes]


def _not_found(detail: str) -> Response:
    return json_response(404, {"detail": detail})


def faults_json(faults: FaultInjector) -> dict[str, Any]:
    """Return the fault settings in force as JSON."""
    settings = dataclasses.asdict(faults.settings)
    methods = settings.pop("methods")
    settings["methods"] = None if methods is None else sorted(methods)
    return settings


class Admin:
    """Serves the administration endpoints."""

    def __init__(self, store: UserStore, stats: Stats, faults: FaultInjector) -> None:
        self._store = store
        self._stats = stats
        self._faults = faults

    def handle(self, environ: WSGIEnvironment) -> Response:
        """Answer one request under /_emulator."""
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        parts = str(environ.get("PATH_INFO", "")).removeprefix(PREFIX).strip("/").split("/")
        match method, parts:
            case "GET", ["health"]:
                return json_response(200, {"status": "ok", "users": self._store.count()})
            case "GET", ["stats"]:
                return json_response(200, self._stats.snapshot())
            case "POST", ["stats", "reset"]:
                self._stats.reset()
                return json_response(204, None)
            case "GET", ["users"]:
                return json_response(200, self._store.users())
            case "GET", ["users", user_id]:
                user = self._store.get_user(user_id)
                return json_response(200, user) if user else _not_found(f"no user {user_id}")
            case "POST", ["users", user_id, "claim"]:
                try:
                    return json_response(200, self._store.mark_claimed(user_id))
                except NotFoundException:
                    return _not_found(f"no user {user_id}")
                except ValueError as error:  # a profile without claims
                    return json_response(400, {"detail": str(error)})
            case "GET", ["faults"]:
                return json_response(200, faults_json(self._faults))
            case "POST", ["faults"]:
                return self._set_faults(environ)
        return _not_found(f"no emulator endpoint {method} {environ.get('PATH_INFO')}")

    def _set_faults(self, environ: WSGIEnvironment) -> Response:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            changes = json.loads(environ["wsgi.input"].read(length) or b"{}")
            if not isinstance(changes, dict) or not set(changes) <= _FAULT_FIELDS:
                raise ValueError(f"expected a JSON object with keys among {sorted(_FAULT_FIELDS)}")
            if changes.get("methods") is not None:
                changes["methods"] = frozenset(changes["methods"])
            self._faults.update(**changes)
            if "methods" in changes and changes["methods"] is None:
                self._faults.clear_methods()
        except (ValueError, TypeError) as error:
            return json_response(400, {"detail": str(error)})
        return json_response(200, faults_json(self._faults))
