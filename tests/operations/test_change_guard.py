"""The mass-change guard (operations/change_guard.py): counts, shares, emptying, approval."""

from __future__ import annotations

import pytest

from pulumi_workplace.operations.change_guard import (
    ALLOW_UPDATES_ENV,
    ChangeGuard,
    allowed_updates_from,
    change_guard_from,
    value_digest,
)
from pulumi_workplace.settings import SettingsError


def _people(count: int, **values: str | None) -> dict[str, dict[str, str | None]]:
    return {
        f"p{i}": {k: value_digest(v) for k, v in values.items() if value_digest(v)}
        for i in range(count)
    }


def _labels(count: int) -> dict[str, str]:
    return {f"p{i}": f"p{i}@contoso.com" for i in range(count)}


def test_digests_are_short_stable_and_none_for_empty():
    assert value_digest("Sales") == value_digest("Sales")
    assert value_digest("Sales") != value_digest("Sales ")
    assert len(value_digest("Sales") or "") == 4
    assert value_digest("") is None and value_digest(None) is None


def test_one_attribute_over_the_count_is_blocked_naming_it_with_three_examples():
    before = _people(5, title="Engineer", department="Sales")
    after = _people(5, title="Oops", department="Sales")
    decision = ChangeGuard(threshold=4).evaluate(before, after, _labels(5), allowed=None)
    assert decision.blocked and not decision.approved
    assert "title would change for 5 accounts (more than 4" in decision.message
    assert "e.g. p0@contoso.com, p1@contoso.com, p2@contoso.com" in decision.message
    assert "p3@contoso.com" not in decision.message
    assert f"{ALLOW_UPDATES_ENV}=5" in decision.message
    assert "department" not in decision.message


def test_changes_at_the_limit_pass_and_new_people_do_not_count():
    before = _people(4, title="Engineer")
    after = {**_people(4, title="Oops"), **{f"new{i}": {} for i in range(10)}}
    assert not ChangeGuard(threshold=4).evaluate(before, after, {}, allowed=None).blocked


def test_a_percentage_of_the_managed_accounts():
    before = _people(10, title="Engineer")
    after = {**before, **_people(2, title="Oops")}
    guard = ChangeGuard(share=0.1)
    decision = guard.evaluate(before, after, _labels(10), allowed=None)
    assert decision.blocked and "10% of the managed accounts, 1" in decision.message


def test_emptying_more_than_a_tenth_is_blocked_even_under_the_count():
    before = _people(10, department="Sales")
    after = {**before, "p0": {}, "p1": {}}
    decision = ChangeGuard(threshold=500).evaluate(before, after, _labels(10), allowed=None)
    assert decision.blocked
    assert "department would become empty for 2 of 10 accounts (more than 10%)" in decision.message


def test_a_one_run_approval_covers_the_largest_count_only():
    before = _people(5, title="Engineer")
    after = _people(5, title="Oops")
    guard = ChangeGuard(threshold=2)
    assert guard.evaluate(before, after, _labels(5), allowed=4).blocked
    approved = guard.evaluate(before, after, _labels(5), allowed=5)
    assert approved.approved and not approved.blocked


def test_zero_turns_the_count_off():
    before = _people(900, title="Engineer")
    after = _people(900, title="Oops")
    assert not ChangeGuard(threshold=0).evaluate(before, after, {}, allowed=None).blocked


@pytest.mark.parametrize(
    ("raw", "threshold", "share"), [("10", 10, None), ("0", 0, None), ("12.5%", 500, 0.125)]
)
def test_the_setting_takes_a_count_or_a_percentage(raw, threshold, share):
    guard = change_guard_from({"workplace:updateThreshold": raw})
    assert (guard.threshold, guard.share) == (threshold, share)


@pytest.mark.parametrize("raw", ["-1", "ten", "0%", "150%"])
def test_a_bad_setting_names_it(raw):
    with pytest.raises(SettingsError, match="workplace:updateThreshold"):
        change_guard_from({"workplace:updateThreshold": raw})


def test_the_approval_is_a_count():
    assert allowed_updates_from({ALLOW_UPDATES_ENV: "7"}) == 7
    assert allowed_updates_from({}) is None
    with pytest.raises(SettingsError, match=ALLOW_UPDATES_ENV):
        allowed_updates_from({ALLOW_UPDATES_ENV: "lots"})


def test_digests_round_trip_in_one_compact_string_per_person():
    from pulumi_workplace.operations.change_guard import decode_digests, encode_digests

    digests = {"title": value_digest("Boss"), "department": value_digest("Sales")}
    text = encode_digests(digests)
    assert decode_digests(text) == digests
    assert len(text) < 200
    assert decode_digests({"title": "abcd"}) is None  # not a record of this version
    assert decode_digests("0000:" + text.split(":", 1)[1]) is None  # another catalogue
