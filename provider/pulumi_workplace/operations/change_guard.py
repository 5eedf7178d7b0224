"""The mass-change guard: refuse a run that would change one attribute for too many accounts.

A misspelt source attribute or a broken expression rewrites the same attribute for everyone;
Entra has no guard for it. Here the program compares each person's desired values with what the
last run wanted (a short digest per attribute, kept in the stack's bookkeeping output) before
any `User` is registered, so `pulumi preview` and `up` stop before any write when:

- one attribute would change for more than `workplace:updateThreshold` accounts (a count, or a
  percentage of the managed accounts such as `10%`; default 500; 0 turns it off), or
- a non-empty value would become empty for more than 10% of the managed accounts.

One run is approved with WORKPLACE_ALLOW_UPDATES=<count>: at most that many accounts per
attribute.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_workplace.attributes import BY_KEY
from pulumi_workplace.errors import RunRefused
from pulumi_workplace.settings import ConfigSource, SettingsError, read_setting

__all__ = [
    "ALLOW_UPDATES_ENV",
    "EMPTYING_SHARE",
    "ChangeDecision",
    "ChangeGuard",
    "MassChangeRefused",
    "allowed_updates_from",
    "change_guard_from",
    "decode_digests",
    "encode_digests",
    "value_digest",
]

ALLOW_UPDATES_ENV = "WORKPLACE_ALLOW_UPDATES"
DEFAULT_UPDATE_THRESHOLD = 500
EMPTYING_SHARE = 0.10
_SETTING = "workplace:updateThreshold"
_EXAMPLES = 3


class MassChangeRefused(RunRefused):
    """A run would change one attribute for more accounts than the guard allows."""


def value_digest(value: Any) -> str | None:
    """A short, stable digest of a desired value; None for an empty one.

    Four hex digits: a collision only hides one change from the count, and the stack output
    holding them stays small (about 200 bytes per person).
    """
    if value is None or value == "" or value == []:
        return None
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode(), digest_size=2).hexdigest()


_ORDER = tuple(sorted(BY_KEY))
# Identifies the slot order: a catalogue that gained or lost a key reads older records as
# "no digests" instead of as changes.
_ORDER_TAG = hashlib.blake2b(",".join(_ORDER).encode(), digest_size=2).hexdigest()


def encode_digests(digests: Mapping[str, str | None]) -> str:
    """One compact string per person: `<order tag>:` then one slot per catalogue key."""
    return _ORDER_TAG + ":" + ",".join(digests.get(key) or "" for key in _ORDER)


def decode_digests(text: Any) -> dict[str, str] | None:
    """The digests `encode_digests` wrote, or None when `text` is not such a record."""
    if not isinstance(text, str) or not text.startswith(_ORDER_TAG + ":"):
        return None
    slots = text[len(_ORDER_TAG) + 1 :].split(",")
    if len(slots) != len(_ORDER):
        return None
    return {key: digest for key, digest in zip(_ORDER, slots, strict=True) if digest}


@dataclass
class _Tally:
    changed: list[str] = field(default_factory=list)
    emptied: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ChangeDecision:
    """Whether the run's changes may go ahead; `message` names what is over, with examples."""

    blocked: bool
    approved: bool
    message: str
    changed: dict[str, int]
    """Attribute -> accounts whose value changes this run."""


class ChangeGuard:
    """Per-run limits on how many accounts one attribute may change for."""

    def __init__(self, threshold: int = DEFAULT_UPDATE_THRESHOLD, share: float | None = None):
        if threshold < 0 or (share is not None and not 0.0 < share <= 1.0):
            raise ValueError("threshold must be 0 (off) or more, share above 0 and at most 1")
        self.threshold = threshold
        self.share = share

    def _limit(self, managed: int) -> int | None:
        if self.share is not None:
            return int(self.share * managed)
        return self.threshold or None

    def evaluate(
        self,
        previous: Mapping[str, Mapping[str, str | None]],
        desired: Mapping[str, Mapping[str, str | None]],
        labels: Mapping[str, str],
        *,
        allowed: int | None,
    ) -> ChangeDecision:
        """Compare digests per person and attribute (`previous` from the last run).

        Only people the last run managed count: a new person is a create, not a change.
        """
        tallies: dict[str, _Tally] = {}
        for person, now in desired.items():
            before = previous.get(person)
            if before is None:
                continue
            label = labels.get(person, person)
            for key in sorted(set(before) | set(now)):
                old, new = before.get(key), now.get(key)
                if old == new:
                    continue
                tally = tallies.setdefault(key, _Tally())
                tally.changed.append(label)
                if old is not None and new is None:
                    tally.emptied.append(label)
        managed = len(previous)
        limit = self._limit(managed)
        over: list[str] = []
        for key, tally in sorted(tallies.items()):
            count = len(tally.changed)
            if limit is not None and count > limit:
                over.append(
                    f"{key} would change for {count} accounts (more than {self._shown(limit)}, "
                    f"{_SETTING}), e.g. {', '.join(tally.changed[:_EXAMPLES])}"
                )
            emptied = len(tally.emptied)
            if managed and emptied > EMPTYING_SHARE * managed:
                over.append(
                    f"{key} would become empty for {emptied} of {managed} accounts (more than "
                    f"{EMPTYING_SHARE:.0%}), e.g. {', '.join(tally.emptied[:_EXAMPLES])}"
                )
        counts = {key: len(t.changed) for key, t in tallies.items()}
        if not over:
            return ChangeDecision(False, False, "", counts)
        largest = max(counts[key] for key in counts)
        if allowed is not None and allowed >= largest:
            return ChangeDecision(
                False,
                True,
                f"mass change approved for this run ({ALLOW_UPDATES_ENV}={allowed}): "
                + "; ".join(over),
                counts,
            )
        return ChangeDecision(
            True,
            False,
            "stopped before any change: " + "; ".join(over) + ". Check the mappings and the "
            f"directory; if this is intended, approve one run with {ALLOW_UPDATES_ENV}={largest}",
            counts,
        )

    def _shown(self, limit: int) -> str:
        if self.share is None:
            return str(limit)
        return f"{self.share * 100:.4g}% of the managed accounts, {limit}"


def change_guard_from(config: ConfigSource) -> ChangeGuard:
    """The guard `workplace:updateThreshold` (or WORKPLACE_UPDATE_THRESHOLD) describes."""
    raw = read_setting("updateThreshold", config)
    if raw is None:
        return ChangeGuard()
    text = str(raw).strip()
    try:
        if text.endswith("%"):
            share = float(text[:-1]) / 100
            if not 0.0 < share <= 1.0:
                raise ValueError
            return ChangeGuard(share=share)
        count = int(text)
        if count < 0:
            raise ValueError
        return ChangeGuard(threshold=count)
    except ValueError:
        raise SettingsError(
            f"{_SETTING} must be a whole number of accounts (0 turns it off) or a percentage "
            "above 0 and at most 100 such as 10%"
        ) from None


def allowed_updates_from(environ: Mapping[str, str] | None = None) -> int | None:
    """The one-run approval WORKPLACE_ALLOW_UPDATES=<count>, or None."""
    raw = (os.environ if environ is None else environ).get(ALLOW_UPDATES_ENV)
    if raw is None or not raw.strip():
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{ALLOW_UPDATES_ENV} must be a whole number of accounts") from None
    if value < 0:
        raise SettingsError(f"{ALLOW_UPDATES_ENV} must be a whole number of accounts")
    return value
