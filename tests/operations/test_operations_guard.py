"""The deprovisioning guard: count and share limits, one-run approval, messages."""

from __future__ import annotations

import pytest

from pulumi_workplace.operations import DeprovisionGuard, allowed_from, guard_from
from pulumi_workplace.settings import SettingsError


def test_over_the_count_is_blocked_with_the_exact_override() -> None:
    decision = DeprovisionGuard().evaluate(612, 5000, allowed=None)
    assert decision.blocked and decision.over_count and not decision.over_share
    assert decision.message == (
        "612 accounts would be deactivated or deleted in this run, over the limit of 500 "
        "(workplace:deprovisionThreshold). Nothing was changed. If this is intended, run once "
        "with WORKPLACE_ALLOW_DEPROVISIONS=612"
    )


def test_at_the_count_passes() -> None:
    decision = DeprovisionGuard(threshold=500).evaluate(500, 5000, allowed=None)
    assert not decision.blocked
    assert decision.message == (
        "500 accounts will be deactivated or deleted in this run, within the deprovisioning limits."
    )


def test_one_run_approval_must_cover_the_count() -> None:
    guard = DeprovisionGuard(threshold=10)
    approved = guard.evaluate(12, 100, allowed=12)
    assert not approved.blocked and approved.approved
    assert "approved for this run by WORKPLACE_ALLOW_DEPROVISIONS=12" in approved.message
    short = guard.evaluate(12, 100, allowed=11)
    assert short.blocked and not short.approved
    assert "WORKPLACE_ALLOW_DEPROVISIONS=11 approves only 11 accounts" in short.message
    assert short.message.endswith("run once with WORKPLACE_ALLOW_DEPROVISIONS=12")


def test_share_limit_names_its_setting() -> None:
    guard = DeprovisionGuard(threshold=500, threshold_share=0.1)
    decision = guard.evaluate(11, 100, allowed=None)
    assert decision.blocked and decision.over_share and not decision.over_count
    assert (
        "11 accounts would be deactivated or deleted in this run, over the limit of 10% of "
        "the 100 managed accounts (workplace:deprovisionThresholdPercent)"
    ) in decision.message
    assert not guard.evaluate(10, 100, allowed=None).blocked  # exactly 10 %


def test_both_limits_hit_are_both_named() -> None:
    decision = DeprovisionGuard(threshold=5, threshold_share=0.5).evaluate(8, 10, allowed=None)
    assert "workplace:deprovisionThreshold)" in decision.message
    assert "workplace:deprovisionThresholdPercent" in decision.message


def test_zero_threshold_disables_the_count_and_singular_wording() -> None:
    assert not DeprovisionGuard(threshold=0).evaluate(10_000, 10_000, allowed=None).blocked
    one = DeprovisionGuard(threshold=0, threshold_share=0.01).evaluate(1, 2, allowed=None)
    assert one.message.startswith("1 account would be")
    # No managed accounts: the share is meaningless and is not applied.
    assert (
        not DeprovisionGuard(threshold=0, threshold_share=0.01).evaluate(3, 0, allowed=None).blocked
    )


def test_guard_from_config_and_env() -> None:
    guard = guard_from({"workplace:deprovisionThreshold": "100"}, {})
    assert (guard.threshold, guard.threshold_share) == (100, None)
    guard = guard_from(
        {"workplace:deprovisionThresholdPercent": 12.5},
        {"WORKPLACE_DEPROVISION_THRESHOLD": "0"},
    )
    assert (guard.threshold, guard.threshold_share) == (0, 0.125)
    assert guard_from({}, {}).threshold == 500
    with pytest.raises(SettingsError, match="workplace:deprovisionThreshold"):
        guard_from({"workplace:deprovisionThreshold": "-1"}, {})
    with pytest.raises(SettingsError, match="at most 100"):
        guard_from({"workplace:deprovisionThresholdPercent": "150"}, {})


def test_allowed_from_env() -> None:
    assert allowed_from({}) is None
    assert allowed_from({"WORKPLACE_ALLOW_DEPROVISIONS": " 612 "}) == 612
    with pytest.raises(SettingsError, match="WORKPLACE_ALLOW_DEPROVISIONS=612"):
        allowed_from({"WORKPLACE_ALLOW_DEPROVISIONS": "yes"})
