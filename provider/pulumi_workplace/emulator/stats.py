"""Request counters of the emulator, as served on /_emulator/stats."""

from __future__ import annotations

import copy
import threading
from typing import Any

from pulumi_workplace.emulator.config import WRITE_METHODS

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_KINDS = ("users", "user", "discovery")
_METHOD_KINDS = (
    "GET users",
    "POST users",
    "GET user",
    "PUT user",
    "PATCH user",
    "DELETE user",
    "GET discovery",
)
_FAULTS = ("error", "throttle", "drop", "lost_response")


def _empty() -> dict[str, Any]:
    return {
        "total": 0,
        "by_method": dict.fromkeys(_METHODS, 0),
        "by_kind": dict.fromkeys(_KINDS, 0),
        "by_status": {},
        "by_method_kind": dict.fromkeys(_METHOD_KINDS, 0),
        "writes": 0,
        "faults": dict.fromkeys(_FAULTS, 0),
        "invitations": 0,
        "in_flight_peak": 0,
    }


class Stats:
    """Thread-safe counters of the SCIM requests that reached the emulator.

    The usual keys are present with 0 from the start, so readers can index them directly;
    an unusual method or an unknown path ("other" kind) adds its key when first seen.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data = _empty()
        self._in_flight = 0

    def enter(self) -> None:
        """A SCIM request starts being served (the peak says how many a client had in flight)."""
        with self._lock:
            self._in_flight += 1
            self._data["in_flight_peak"] = max(self._data["in_flight_peak"], self._in_flight)

    def leave(self) -> None:
        """A SCIM request has been answered (or dropped)."""
        with self._lock:
            self._in_flight -= 1

    def record(self, method: str, kind: str, status: int | None, fault: str | None) -> None:
        """Count one SCIM request; `status` is None when no response was sent."""
        with self._lock:
            data = self._data
            data["total"] += 1
            data["by_method"][method] = data["by_method"].get(method, 0) + 1
            data["by_kind"][kind] = data["by_kind"].get(kind, 0) + 1
            key = f"{method} {kind}"
            data["by_method_kind"][key] = data["by_method_kind"].get(key, 0) + 1
            if status is not None:
                code = str(status)
                data["by_status"][code] = data["by_status"].get(code, 0) + 1
            if method in WRITE_METHODS:
                data["writes"] += 1
            if fault is not None:
                data["faults"][fault] += 1

    def record_invitation(self) -> None:
        """Count one invitation sent to a new or newly invited account."""
        with self._lock:
            self._data["invitations"] += 1

    def snapshot(self) -> dict[str, Any]:
        """Return a copy of the counters."""
        with self._lock:
            return copy.deepcopy(self._data)

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._data = _empty()
