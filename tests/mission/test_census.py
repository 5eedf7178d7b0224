"""census.py: every account in exactly one class; keep patterns; taken-over bookkeeping."""

from __future__ import annotations

import json

import pytest

from pulumi_workplace._discover_cli import managed_accounts, render_csv, render_json
from pulumi_workplace.census import (
    CLASSES,
    KeepPatterns,
    KeepPatternsError,
    PeopleIndex,
    TenantAccount,
    take_census,
)
from pulumi_workplace.directory import Directory, Person
from pulumi_workplace.mapping import default_mappings
from pulumi_workplace.resources._unmanaged import UnmanagedAccounts, plan_unmanaged
from pulumi_workplace.sharding import ShardSpec


def _person(name: str, department: str = "Sales") -> Person:
    return Person(
        id=f"obj-{name}",
        attributes={
            "userPrincipalName": f"{name}@contoso.com",
            "mail": f"{name}.mail@contoso.com",
            "givenName": name.title(),
            "surname": "Test",
            "displayName": name.title(),
            "department": department,
            "accountEnabled": True,
        },
    )


PEOPLE = [_person(n, d) for n, d in (("a", "Sales"), ("b", "Ops"), ("c", "Sales"), ("d", "Ops"))]
DIRECTORY = Directory(people=PEOPLE, groups=[])


def _index() -> PeopleIndex:
    return PeopleIndex(DIRECTORY, default_mappings(), {p.id: None for p in PEOPLE})


def _account(id_: str, user_name: str | None, **kwargs) -> TenantAccount:
    return TenantAccount(id=id_, user_name=user_name, **kwargs)


def test_each_account_gets_the_first_class_that_applies():
    accounts = [
        _account("1", "a@contoso.com"),  # managed here
        _account("2", "B@CONTOSO.COM"),  # managed by shard 1
        _account("3", "c.mail@contoso.com"),  # matches c by mail, in scope, not managed
        _account("4", "someone", external_id="obj-d"),  # matches d by externalId, out of scope
        _account("5", "leaver@contoso.com"),  # nobody
        _account("6", None),
    ]
    census = take_census(
        accounts,
        _index(),
        in_scope={"obj-a", "obj-b", "obj-c"},
        managed={"1"},
        other_shards={"2": 1},
    )
    assert [e.account_class for e in census.entries] == [
        "managed",
        "other_shard",
        "not_managed",
        "out_of_scope",
        "no_person",
        "no_person",
    ]
    assert census.entries[2].person == "c@contoso.com"
    assert census.entries[1].shard == 1
    assert census.counts() == {
        "managed": 1,
        "other_shard": 1,
        "not_managed": 1,
        "out_of_scope": 1,
        "no_person": 2,
    }
    assert sum(census.counts().values()) == len(accounts)
    assert list(census.counts()) == list(CLASSES)


def test_not_managed_names_the_shard_that_will_adopt():
    spec = ShardSpec(count=2, index=0, key="department")
    census = take_census([_account("1", "b@contoso.com")], _index(), in_scope={"obj-b"}, shard=spec)
    assert census.entries[0].shard == spec.shard_of(PEOPLE[1])


def test_keep_patterns_match_user_names_in_any_case():
    keep = KeepPatterns(["svc-*", "break-glass@contoso.com", "test?@*"])
    assert keep.keeps(_account("1", "SVC-Backup@contoso.com"))
    assert keep.keeps(_account("2", "break-glass@CONTOSO.com"))
    assert keep.keeps(_account("3", "test1@x"))
    assert not keep.keeps(_account("4", "test12@x"))
    assert not keep.keeps(_account("5", None))
    with pytest.raises(KeepPatternsError, match=r"workplace:keepAccounts\[1\]"):
        KeepPatterns(["ok", " "])


def test_take_over_leaves_kept_inactive_explained_and_other_shards_alone():
    accounts = [
        _account("10", "leaver@contoso.com", active=True),
        _account("11", "svc-x@contoso.com", active=True),
        _account("12", "old@contoso.com", active=False),
        _account("13", "gone-person@contoso.com", active=True),  # this stack's, person removed
        _account("14", "a@contoso.com", active=True),  # a person's
        _account("15", "before@contoso.com", active=False),  # taken over by an earlier run
    ]
    previous = {
        "obj-gone": {"userName": "Gone-Person@contoso.com", "active": True},
        "account:15": {"userName": "before@contoso.com", "active": False},
    }
    policy = UnmanagedAccounts("deactivate", KeepPatterns(["svc-*"]), accounts)
    plan = plan_unmanaged(policy, _index(), previous, ShardSpec())
    assert [a.id for a in plan.unmatched] == ["10", "11", "12"]
    assert [a.id for a in plan.kept] == ["11"]
    assert [a.id for a in plan.take_over] == ["10"]
    assert [a.id for a in plan.inactive] == ["12"]
    assert [a.id for a in plan.still_managed] == ["15"]
    # report never takes over; a kept pattern added later releases an earlier take-over.
    reported = plan_unmanaged(
        UnmanagedAccounts("report", KeepPatterns([]), accounts), _index(), previous, ShardSpec()
    )
    assert reported.take_over == [] and reported.still_managed == []
    released = plan_unmanaged(
        UnmanagedAccounts("deactivate", KeepPatterns(["before@*"]), accounts),
        _index(),
        previous,
        ShardSpec(),
    )
    assert released.still_managed == []
    # With shards, each account that matches no person belongs to exactly one shard.
    owners = []
    for index in range(3):
        spec = ShardSpec(count=3, index=index)
        found = plan_unmanaged(policy, _index(), {}, spec)
        owners += [a.id for a in found.unmatched]
    assert sorted(owners) == ["10", "11", "12", "13", "15"]


def test_managed_accounts_reads_user_resources_and_skips_released_ones():
    resources = [
        {"type": "pulumi:pulumi:Stack", "id": "x"},
        {
            "type": "pulumi-python:dynamic/workplace:User",
            "id": "1",
            "inputs": {"attributes": {"active": True}, "options": {"deprovision": "deactivate"}},
        },
        {
            "type": "pulumi-python:dynamic/workplace:User",
            "id": "2",
            "inputs": {"attributes": {}, "options": {"deprovision": "retain"}},
        },
        {
            "type": "pulumi-python:dynamic/workplace:User",
            "id": "3",
            "inputs": {"attributes": {"active": False}, "options": {"deprovision": "retain"}},
        },
    ]
    assert managed_accounts(resources) == {"1", "3"}
    assert managed_accounts(None) == set()


def test_csv_cells_never_start_a_formula_and_json_counts_every_class():
    census = take_census(
        [_account("1", "=cmd|' /C calc'!A0"), _account("2", "a@contoso.com")],
        _index(),
        in_scope={"obj-a"},
    )
    text = render_csv(census)
    assert "'=cmd" in text and "\n=cmd" not in text
    document = json.loads(render_json(census, "prod"))
    assert document["counts"]["no_person"] == 1 and document["counts"]["not_managed"] == 1
    assert set(document["classes"]) == set(CLASSES)
