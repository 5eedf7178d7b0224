"""The reshard guard: a new shard count, index or key moves people between stacks.

A stack remembers the layout (`count`, `index`, `key`) it last applied. When the configured
layout is another one, everyone whose shard changes is released here and adopted by another
stack: no account is deactivated for it, but a layout typed wrong in one stack's config would
hand people to stacks that may never run. So `pulumi preview` and `up` stop, naming both
layouts, unless this run is approved with `WORKPLACE_ALLOW_SHARD_CHANGE=<the new layout>`
(`index/count`, with `:key` for a key other than the directory id), which approves that one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ALLOW_SHARD_CHANGE_ENV",
    "ShardChangeDecision",
    "approval_token",
    "shard_change_decision",
]

ALLOW_SHARD_CHANGE_ENV = "WORKPLACE_ALLOW_SHARD_CHANGE"
_UNSHARDED = {"count": 1, "index": 0, "key": "id"}
_FIELDS = ("count", "index", "key")


class ShardChangeDecision(BaseModel):
    """`blocked` stops the run; `approved` means a change was approved (worth a warning)."""

    model_config = ConfigDict(frozen=True)

    blocked: bool
    approved: bool
    message: str = ""


def _shown(layout: Mapping[str, Any]) -> str:
    return f"shard {layout['index']} of {layout['count']} by {layout['key']}"


def approval_token(layout: Mapping[str, Any]) -> str:
    """The value of WORKPLACE_ALLOW_SHARD_CHANGE that approves moving to `layout`."""
    layout = {**_UNSHARDED, **layout}
    token = f"{layout['index']}/{layout['count']}"
    return token if layout["key"] == "id" else f"{token}:{layout['key']}"


def shard_change_decision(
    before: Mapping[str, Any] | None,
    now: Mapping[str, Any],
    managed: int,
    environ: Mapping[str, str] | None = None,
) -> ShardChangeDecision:
    """Compare the layout the stack last applied (`before`; None before sharding was known, read
    as one shard) with the configured one; `managed` is how many accounts the stack manages."""
    previous = {**_UNSHARDED, **(before or {})}
    current = {**_UNSHARDED, **now}
    same = all(previous[f] == current[f] for f in _FIELDS)
    if same or managed == 0:
        return ShardChangeDecision(blocked=False, approved=False)
    token = approval_token(current)
    change = f"workplace:shard changes from {_shown(previous)} to {_shown(current)}"
    raw = (os.environ if environ is None else environ).get(ALLOW_SHARD_CHANGE_ENV, "").strip()
    if raw == token:
        return ShardChangeDecision(
            blocked=False,
            approved=True,
            message=f"{change}, approved for this run ({ALLOW_SHARD_CHANGE_ENV}={token}): people "
            "whose shard changes are released here and adopted by their new shard's stack",
        )
    return ShardChangeDecision(
        blocked=True,
        approved=False,
        message=f"{change}; this moves people between stacks ({managed} account(s) managed "
        f"here). If intended, change every shard's stack to the new layout and approve one run "
        f"of this one with {ALLOW_SHARD_CHANGE_ENV}={token}",
    )
