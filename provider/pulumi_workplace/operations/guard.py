"""The deprovisioning guard: refuse a run that would deactivate or delete too many accounts.

Entra's "accidental deletions" threshold (default 500) holds a whole cycle's deprovisions; here
the run fails before any change, and one run can be approved with WORKPLACE_ALLOW_DEPROVISIONS.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from pulumi_workplace.operations._config import ConfigReader
from pulumi_workplace.settings import ConfigSource, SettingsError

__all__ = [
    "ALLOW_ENV",
    "DEFAULT_THRESHOLD",
    "DeprovisionGuard",
    "GuardDecision",
    "allowed_from",
    "guard_from",
]

DEFAULT_THRESHOLD = 500
ALLOW_ENV = "WORKPLACE_ALLOW_DEPROVISIONS"
_COUNT_KEY = "workplace:deprovisionThreshold"
_SHARE_KEY = "workplace:deprovisionThresholdPercent"

_ENV = {
    "deprovisionThreshold": "WORKPLACE_DEPROVISION_THRESHOLD",
    "deprovisionThresholdPercent": "WORKPLACE_DEPROVISION_THRESHOLD_PERCENT",
}


class GuardDecision(BaseModel):
    """Whether a run's deprovisions may go ahead, and the message that says why."""

    model_config = ConfigDict(frozen=True)

    blocked: bool
    planned: int
    managed: int
    allowed: int | None
    over_count: bool
    """The count was over `workplace:deprovisionThreshold`."""
    over_share: bool
    """The share of managed accounts was over `workplace:deprovisionThresholdPercent`."""
    approved: bool
    """A one-run approval covered a count that was over a limit."""
    message: str


def _accounts(count: int) -> str:
    return f"{count} account" + ("" if count == 1 else "s")


def _percent(share: float) -> str:
    return f"{share * 100:.4g}%"


class DeprovisionGuard:
    """Per-run limits on deactivations plus deletions: a count and, optionally, a share."""

    def __init__(self, threshold: int = DEFAULT_THRESHOLD, threshold_share: float | None = None):
        if threshold < 0:
            raise ValueError("threshold must be 0 (off) or more")
        if threshold_share is not None and not 0.0 < threshold_share <= 1.0:
            raise ValueError("threshold_share must be above 0 and at most 1")
        self.threshold = threshold
        self.threshold_share = threshold_share

    def __repr__(self) -> str:
        return f"DeprovisionGuard(threshold={self.threshold}, share={self.threshold_share})"

    def evaluate(
        self, planned_deprovisions: int, managed_accounts: int, *, allowed: int | None
    ) -> GuardDecision:
        """Decide whether `planned_deprovisions` may run; `allowed` is a one-run approval."""
        planned, managed = planned_deprovisions, managed_accounts
        if planned < 0 or managed < 0:
            raise ValueError("counts cannot be negative")
        over_count = self.threshold > 0 and planned > self.threshold
        # Without managed accounts a share means nothing; the count limit still applies.
        over_share = (
            self.threshold_share is not None
            and managed > 0
            and planned / managed > self.threshold_share
        )
        over = over_count or over_share
        approved = over and allowed is not None and allowed >= planned
        blocked = over and not approved
        return GuardDecision(
            blocked=blocked,
            planned=planned,
            managed=managed,
            allowed=allowed,
            over_count=over_count,
            over_share=over_share,
            approved=approved,
            message=self._message(planned, managed, allowed, over_count, over_share, blocked),
        )

    def _limits(self, managed: int, over_count: bool, over_share: bool) -> str:
        hit = []
        if over_count:
            hit.append(f"the limit of {self.threshold} ({_COUNT_KEY})")
        if over_share and self.threshold_share is not None:
            hit.append(
                f"the limit of {_percent(self.threshold_share)} of the {managed} managed "
                f"account{'' if managed == 1 else 's'} ({_SHARE_KEY})"
            )
        return " and ".join(hit)

    def _message(
        self,
        planned: int,
        managed: int,
        allowed: int | None,
        over_count: bool,
        over_share: bool,
        blocked: bool,
    ) -> str:
        verb = "would be" if blocked else "will be"
        what = f"{_accounts(planned)} {verb} deactivated or deleted in this run"
        if not (over_count or over_share):
            return f"{what}, within the deprovisioning limits."
        limits = self._limits(managed, over_count, over_share)
        if not blocked:
            return f"{what}, over {limits}; approved for this run by {ALLOW_ENV}={allowed}."
        short = (
            f" ({ALLOW_ENV}={allowed} approves only {_accounts(allowed)})"
            if allowed is not None
            else ""
        )
        return (
            f"{what}, over {limits}. Nothing was changed{short}. "
            f"If this is intended, run once with {ALLOW_ENV}={planned}"
        )


def allowed_from(environ: Mapping[str, str] | None = None) -> int | None:
    """The one-run approval from WORKPLACE_ALLOW_DEPROVISIONS, or None when unset."""
    env = os.environ if environ is None else environ
    raw = env.get(ALLOW_ENV, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise SettingsError(
            f"{ALLOW_ENV} must be the number of deprovisions to allow, e.g. {ALLOW_ENV}=612"
        )
    return int(raw)


def guard_from(config: ConfigSource, environ: Mapping[str, str] | None = None) -> DeprovisionGuard:
    """The guard from `workplace:deprovisionThreshold` and `...ThresholdPercent` config."""
    read = ConfigReader(config, os.environ if environ is None else environ, _ENV)
    threshold = read.integer("deprovisionThreshold", minimum=0)
    percent = read.number("deprovisionThresholdPercent", minimum=0.0)
    if percent is not None and percent > 100:
        raise SettingsError(f"{_SHARE_KEY} must be at most 100")
    return DeprovisionGuard(
        threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
        # 0 % is read as "no share limit", like a count threshold of 0.
        threshold_share=percent / 100 if percent else None,
    )
