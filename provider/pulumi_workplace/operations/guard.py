"""The deprovisioning guard: refuse a run that would deactivate or delete too many accounts.

Entra's "accidental deletions" threshold (default 500) holds a whole cycle's deprovisions; here
the run fails before any change, and one run can be approved with WORKPLACE_ALLOW_DEPROVISIONS.

Two places enforce it. `DeprovisionGuard` is the program's check of a whole plan (the
`Provisioning` component, before any `User` is registered). `DeprovisionBudget` is the dynamic
provider's, which every engine path passes (`pulumi destroy`, a program that stopped declaring
its `User`s, `--target`, a refresh-then-up): it counts each deprovisioning write as it is about to
be sent. Removing a resource from the stack never deprovisions its account without a one-run
approval, because the provider cannot know how many removals follow the first one: without
WORKPLACE_ALLOW_DEPROVISIONS the removal fails before any write, or, with
WORKPLACE_RELEASE_ON_REMOVE=true, leaves the account as it is.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from pulumi_workplace.errors import RunRefused
from pulumi_workplace.settings import ConfigSource, SettingsError, read_setting

__all__ = [
    "ALLOW_ENV",
    "DEFAULT_THRESHOLD",
    "RELEASE_ON_REMOVE_ENV",
    "DeprovisionBudget",
    "DeprovisionGuard",
    "DeprovisionRefused",
    "GuardDecision",
    "allowed_from",
    "guard_from",
]

DEFAULT_THRESHOLD = 500
ALLOW_ENV = "WORKPLACE_ALLOW_DEPROVISIONS"
RELEASE_ON_REMOVE_ENV = "WORKPLACE_RELEASE_ON_REMOVE"
_COUNT_KEY = "workplace:deprovisionThreshold"
_SHARE_KEY = "workplace:deprovisionThresholdPercent"


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
    threshold = read_setting("deprovisionThreshold", config, environ)
    percent = read_setting("deprovisionThresholdPercent", config, environ)
    return DeprovisionGuard(
        threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
        # 0 % is read as "no share limit", like a count threshold of 0.
        threshold_share=percent / 100 if percent else None,
    )


class DeprovisionRefused(RunRefused):
    """A deprovisioning write was refused before it was sent."""


def _removal_message(label: str, mode: str) -> str:
    verb = "delete (or, if claimed, deactivate)" if mode == "delete" else "deactivate"
    return (
        f"{label}: removing this User from the stack (pulumi destroy, or a program that no "
        f"longer declares it) would {verb} its account, and a removal never deprovisions "
        "without a one-run approval: nothing was changed. To take the removed resources out of "
        f"the stack and leave their accounts as they are, run once with {RELEASE_ON_REMOVE_ENV}"
        f"=true. To deprovision them, run once with {ALLOW_ENV}=<count> (the preview's "
        '"to delete" count), or set active=False first as a previewed update (Provisioning '
        "does this for people who leave the scope)."
    )


class DeprovisionBudget:
    """The deprovisioning writes one provider process (one run) may still send.

    - A deactivating update (`active` to false) may be sent while the run's count stays within
      the larger of `workplace:deprovisionThreshold` and the one-run approval (0 = no limit).
    - A removal that deactivates or deletes needs the approval, and counts against it.
    The count is shared, so an approval of N lets at most N accounts go in one run.
    """

    def __init__(self, threshold: int, approved: int | None) -> None:
        self.threshold = threshold
        self.approved = approved
        self._taken = 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, config: ConfigSource, environ: Mapping[str, str] | None = None
    ) -> DeprovisionBudget:
        return cls(guard_from(config, environ).threshold, allowed_from(environ))

    @property
    def taken(self) -> int:
        with self._lock:
            return self._taken

    def take(self, label: str, *, removal: bool, mode: str = "deactivate") -> None:
        """Count one deprovisioning write, or raise `DeprovisionRefused` before it is sent."""
        with self._lock:
            if removal and self.approved is None:
                raise DeprovisionRefused(_removal_message(label, mode))
            limit = self.approved if removal else self._update_limit()
            if limit is not None and self._taken >= limit:
                raise DeprovisionRefused(self._over_message(label, limit, removal))
            self._taken += 1

    def give_back(self) -> None:
        """A counted write that failed: it deprovisioned nothing."""
        with self._lock:
            self._taken = max(0, self._taken - 1)

    def _update_limit(self) -> int | None:
        if self.threshold == 0:  # the count limit is off
            return None
        return max(self.threshold, self.approved or 0)

    def _over_message(self, label: str, limit: int, removal: bool) -> str:
        source = f"{ALLOW_ENV}={self.approved}" if removal or self.approved else _COUNT_KEY
        return (
            f"{label}: not deprovisioned: this run already deactivated or deleted "
            f"{_accounts(self._taken)}, the most that {source} allows ({limit}). Nothing more "
            f"is changed in this run; if this is intended, run again with {ALLOW_ENV}=<count>."
        )
