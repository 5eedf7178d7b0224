"""Seeded fault decisions for the SCIM requests."""

from __future__ import annotations

import enum
import random
import threading
from dataclasses import dataclass, replace
from typing import Any

from pulumi_workplace.emulator.config import EmulatorConfig


class Fault(enum.Enum):
    """What goes wrong with one request."""

    NONE = "none"
    DROP = "drop"
    """Close the connection before processing, with no response."""
    ERROR = "error"
    """Answer 500 or 503 before processing."""
    THROTTLE = "throttle"
    """Answer 429 with Retry-After before processing."""
    LOST_RESPONSE = "lost_response"
    """Process and persist the request, then close the connection with no response."""


@dataclass(frozen=True)
class FaultSettings:
    """The fault rates in force; they can change while the emulator runs."""

    error_rate: float = 0.0
    throttle_rate: float = 0.0
    drop_rate: float = 0.0
    lost_response_rate: float = 0.0
    retry_after: float = 1.0
    latency_ms: int = 0
    methods: frozenset[str] | None = None

    @classmethod
    def from_config(cls, config: EmulatorConfig) -> FaultSettings:
        """Return the settings a configuration starts with."""
        return cls(
            error_rate=config.error_rate,
            throttle_rate=config.throttle_rate,
            drop_rate=config.drop_rate,
            lost_response_rate=config.lost_response_rate,
            retry_after=config.retry_after,
            latency_ms=config.latency_ms,
            methods=config.fault_methods,
        )

    def validate(self) -> None:
        """Raise ValueError when a rate is outside 0..1 or the pre-processing rates exceed 1."""
        rates = (self.error_rate, self.throttle_rate, self.drop_rate, self.lost_response_rate)
        if any(not 0.0 <= rate <= 1.0 for rate in rates):
            raise ValueError("fault rates must be between 0 and 1")
        if self.drop_rate + self.error_rate + self.throttle_rate > 1.0:
            raise ValueError("drop_rate + error_rate + throttle_rate must not exceed 1")
        if self.retry_after < 0 or self.latency_ms < 0:
            raise ValueError("retry_after and latency_ms must not be negative")


@dataclass(frozen=True)
class Decision:
    """The faults drawn for one request."""

    before: Fault
    """NONE, DROP, ERROR or THROTTLE: what happens before processing."""
    lost_response: bool
    """Whether the response of a processed request is lost."""
    error_status: int
    """500 or 503, used when `before` is ERROR."""


class FaultInjector:
    """Draws the faults of each SCIM request from one seeded generator.

    Every request consumes the same three draws whatever the rates, so changing one rate does
    not shift the faults the other rates produce; the same request sequence meets the same
    faults on every run with the same seed.
    """

    def __init__(self, settings: FaultSettings, seed: int) -> None:
        settings.validate()
        self._settings = settings
        self._random = random.Random(seed)  # noqa: S311 - reproducible test faults, not security
        self._lock = threading.Lock()

    @property
    def settings(self) -> FaultSettings:
        """The settings in force."""
        return self._settings

    def update(self, **changes: Any) -> FaultSettings:
        """Change some settings; a None value keeps the current one. Return the new settings.

        :raises ValueError: when the result has a rate outside 0..1, or drop, error and
            throttle rates that add up to more than 1.
        """
        wanted = {name: value for name, value in changes.items() if value is not None}
        if isinstance(wanted.get("methods"), frozenset):
            wanted["methods"] = frozenset(method.upper() for method in wanted["methods"])
        with self._lock:
            settings = replace(self._settings, **wanted)
            settings.validate()
            self._settings = settings
        return settings

    def clear_methods(self) -> None:
        """Let the faults hit every method again."""
        with self._lock:
            self._settings = replace(self._settings, methods=None)

    def draw(self, method: str) -> Decision:
        """Decide the faults of one request."""
        with self._lock:
            settings = self._settings
            if settings.methods is not None and method.upper() not in settings.methods:
                return Decision(Fault.NONE, lost_response=False, error_status=500)
            before, lost, status = [self._random.random() for _ in range(3)]
        edges = (
            (settings.drop_rate, Fault.DROP),
            (settings.drop_rate + settings.error_rate, Fault.ERROR),
            (settings.drop_rate + settings.error_rate + settings.throttle_rate, Fault.THROTTLE),
        )
        fault = next((kind for edge, kind in edges if before < edge), Fault.NONE)
        return Decision(
            before=fault,
            lost_response=lost < settings.lost_response_rate,
            error_status=500 if status < 0.5 else 503,
        )
