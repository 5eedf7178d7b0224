"""Which resource adopted which account in this run: two people never share one account."""

from __future__ import annotations

import threading

from pulumi_workplace.errors import RunRefused


class AdoptionError(RunRefused):
    """A second resource of the run matched an account another one already adopted."""


class AdoptionRegistry:
    """Workplace id -> who (userName or externalId) adopted it in this run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._adopted_by: dict[str, str] = {}

    def claim(self, workplace_id: str, who: str) -> None:
        """Record `who` as the account's adopter, or raise if someone else already is."""
        with self._lock:
            first = self._adopted_by.setdefault(workplace_id, who)
        if first != who:
            raise AdoptionError(
                f"{who}: the matching account {workplace_id} was already adopted by {first} in "
                "this run; two people cannot share one Workplace account (check the matching "
                "attributes)"
            )

    def adopter_of(self, workplace_id: str) -> str | None:
        """Who adopted this account earlier in this run, if anyone."""
        with self._lock:
            return self._adopted_by.get(workplace_id)
