"""The exception the delivery channels raise."""

from __future__ import annotations

from pulumi_workplace.errors import WorkplaceError


class DeliveryError(WorkplaceError):
    """Delivery failed; the message is safe to show (no password, no full URL)."""

    def __init__(self, message: str, *, attempts: int = 1, status: int | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.status = status
