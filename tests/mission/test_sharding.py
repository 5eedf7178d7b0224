"""Shards: a stable split of the people in scope, releases on a move, managers across shards."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from pulumi_workplace.assignments import Assignment
from pulumi_workplace.directory import Directory
from pulumi_workplace.planning import ProvisioningInputError, plan_provisioning, shard_overview
from pulumi_workplace.sharding import ShardError, ShardSpec, jump_hash, shard_digest

from .conftest import person

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
ROLES = ["Employee"]


def _directory(count: int = 60) -> Directory:
    people = [
        person(
            f"p{i:03}@contoso.com",
            department=f"d{i % 4}",
            manager=None if i < 6 else f"p{i % 6:03}@contoso.com",
        )
        for i in range(count)
    ]
    return Directory(people)


def _assigned(directory: Directory) -> list[Assignment]:
    return [Assignment(user=p.id, role="Employee") for p in directory.people]


def _plan(directory: Directory, spec: ShardSpec, managed: set[str] | frozenset[str] = frozenset()):
    return plan_provisioning(
        directory,
        assignments=_assigned(directory),
        roles=ROLES,
        now=NOW,
        shard=spec,
        previously_managed=managed,
        fingerprint="f",
    )


def test_every_person_in_scope_is_in_exactly_one_shard() -> None:
    directory = _directory()
    plans = [_plan(directory, ShardSpec(count=3, index=i)) for i in range(3)]
    owned = [{a.person_id for a in p.with_action("provision")} for p in plans]
    assert sum(len(o) for o in owned) == 60
    assert set().union(*owned) == {p.id for p in directory.people}
    assert all(len(o) > 5 for o in owned)  # a real split, not everyone in one shard
    assert [p.in_other_shards for p in plans] == [60 - len(o) for o in owned]


def test_the_hash_is_stable_and_moves_few_people_when_a_shard_is_added() -> None:
    keys = range(20_000)
    ten = [jump_hash(k * 7919, 10) for k in keys]
    assert ten == [jump_hash(k * 7919, 10) for k in keys]
    counts = Counter(ten)
    assert min(counts.values()) > 1_700 and max(counts.values()) < 2_300
    moved = sum(a != jump_hash(k * 7919, 11) for k, a in zip(keys, ten, strict=True))
    assert moved < 20_000 * 0.12  # about 1/11, where a modulo would move about 10/11


def test_a_person_managed_here_who_now_belongs_elsewhere_is_released_not_deactivated() -> None:
    directory = _directory()
    before = ShardSpec(count=2, index=0)
    mine = {a.person_id for a in _plan(directory, before).with_action("provision")}
    after = _plan(directory, ShardSpec(count=3, index=0), managed=mine)
    released = {a.person_id for a in after.with_action("release")}
    assert released, "going from 2 to 3 shards moves someone out of shard 0"
    assert all(a.reason == "other_shard" for a in after.with_action("release"))
    assert after.with_action("deactivate") == []
    kept = {a.person_id for a in after.with_action("provision")}
    assert released | kept <= mine | kept and not released & kept


def test_a_manager_in_another_shard_is_linked_by_user_name() -> None:
    directory = _directory()
    spec = ShardSpec(count=3, index=1)
    plan = _plan(directory, spec)
    by_shard = {p.id: spec.shard_of(p) for p in directory.people}
    crossing = [
        a
        for a in plan.with_action("provision")
        if a.person_id not in {f"p{i:03}@contoso.com" for i in range(6)}
        and by_shard[directory.manager_of(directory.person_by_id(a.person_id)).id] != 1  # type: ignore[union-attr, arg-type]
    ]
    assert crossing
    for account in crossing:
        manager = directory.manager_of(directory.person_by_id(account.person_id))  # type: ignore[arg-type]
        assert account.manager_person_id is None
        assert account.manager_user_name == manager.user_principal_name  # type: ignore[union-attr]
    assert plan.notes and f"{len(crossing)} people have managers in another shard" in plan.notes[0]
    same = [a for a in plan.with_action("provision") if a.manager_person_id]
    assert all(a.manager_user_name is None for a in same)


def test_digests_from_the_inputs_alone_match_the_plans() -> None:
    directory = _directory()
    overview = shard_overview(
        directory,
        assignments=_assigned(directory),
        roles=ROLES,
        shard=ShardSpec(count=3),
        fingerprint="f",
    )
    assert overview.in_scope == 60 and sum(overview.people) == 60
    for index in range(3):
        plan = _plan(directory, ShardSpec(count=3, index=index), managed={"p000@contoso.com"})
        assert plan.digest == overview.digests[index]  # the state plays no part
    assert len(set(overview.digests)) == 3
    # One person's record changes one shard's digest only.
    changed = Directory(
        [
            p if p.id != "p007@contoso.com" else person(p.id, department="new", manager=None)
            for p in directory.people
        ]
    )
    after = shard_overview(
        changed,
        assignments=_assigned(changed),
        roles=ROLES,
        shard=ShardSpec(count=3),
        fingerprint="f",
    )
    differ = [i for i in range(3) if after.digests[i] != overview.digests[i]]
    assert differ == [ShardSpec(count=3).shard_of(changed.person_by_id("p007@contoso.com"))]  # type: ignore[arg-type]
    assert shard_digest(ShardSpec(count=3), "other", []) != shard_digest(
        ShardSpec(count=3), "f", []
    )


def test_an_empty_shard_plans_nothing() -> None:
    directory = _directory(1)
    spec = ShardSpec(count=8)
    owner = spec.shard_of(directory.people[0])
    empty = next(i for i in range(8) if i != owner)
    plan = _plan(directory, spec.model_copy(update={"index": empty}))
    assert plan.accounts == [] and plan.in_other_shards == 1


def test_bad_shard_settings_name_the_field() -> None:
    with pytest.raises(ShardError, match=r"workplace:shard.index: expected 0 to 2"):
        ShardSpec.from_setting({"count": 3, "index": 3})
    with pytest.raises(ShardError, match=r"workplace:shard.count: expected a whole number"):
        ShardSpec.from_setting({"count": "ten", "index": 0})
    with pytest.raises(ShardError, match=r"unknown field\(s\) \['idx'\]"):
        ShardSpec.from_setting({"count": 2, "idx": 1})
    assert ShardSpec.from_setting(None) == ShardSpec(count=1, index=0, key="id")
    assert ShardSpec.from_setting({"count": 4.0, "index": 3, "key": "department"}).key == (
        "department"
    )


def test_a_misspelt_key_fails_the_plan_with_a_suggestion() -> None:
    directory = _directory()
    with pytest.raises(ProvisioningInputError, match=r"did you mean 'department'"):
        _plan(directory, ShardSpec(count=2, key="departmnt"))
    by_department = ShardSpec(count=4, key="department")
    shards = {p.get("department"): by_department.shard_of(p) for p in directory.people}
    assert len(shards) == 4  # everyone of one department in one shard
