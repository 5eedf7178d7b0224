"""The dynamic provider's methods called directly, in this process, against the emulator: the
runtime `configure()` builds, the guards it enforces, and reset between tests."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_workplace.resources import _runtime
from pulumi_workplace.resources._user_provider import UserProvider, WorkplaceError


def _props(index: int, **attributes: Any) -> dict[str, Any]:
    return {
        "attributes": {
            "userName": f"p{index:03d}@example.com",
            "displayName": f"Person {index}",
            "active": True,
            **attributes,
        },
        "options": {"matchOn": ["userName"], "deprovision": "deactivate", "clear": []},
    }


@pytest.fixture
def provider(make_emulator, emulator_token, tmp_path, monkeypatch):
    """A UserProvider configured the way the engine does it; yields (emulator, provider)."""
    for name in ("WORKPLACE_ALLOW_DEPROVISIONS", "WORKPLACE_RELEASE_ON_REMOVE"):
        monkeypatch.delenv(name, raising=False)
    emulator = make_emulator()
    _runtime.reset()
    provider = UserProvider()
    raw = {
        "workplace:tenantUrl": emulator.url,
        "workplace:token": emulator_token,
        "workplace:provisioningLog": str(tmp_path / "log.jsonl"),
        "workplace:deprovisionThreshold": "2",
    }
    provider.configure(ConfigureRequest(config=Config(raw_config=raw, project_name="p")))
    yield emulator, provider
    _runtime.reset()


def _create(provider: UserProvider, count: int) -> list[str]:
    return [provider.create(_props(i)).id for i in range(count)]


def test_configure_builds_one_runtime_that_reset_drops(provider):
    emulator, user_provider = provider
    first = _runtime.current()
    assert first.connection.settings().tenant_url == emulator.url
    user_provider.configure(ConfigureRequest(config=Config(raw_config={}, project_name="p")))
    assert _runtime.current() is first  # one runtime per run
    _runtime.reset()
    assert _runtime.current() is not first


def test_crud_round_trip(provider):
    _emulator, user_provider = provider
    created = user_provider.create(_props(1))
    news = _props(1, displayName="Renamed")
    assert user_provider.diff(created.id, created.outs, news).changes is True
    updated = user_provider.update(created.id, created.outs, news)
    assert updated.outs["attributes"]["displayName"] == "Renamed"
    read = user_provider.read(created.id, updated.outs)
    assert read.outs["attributes"]["displayName"] == "Renamed"
    assert user_provider.diff(created.id, read.outs, news).changes is False


def test_a_removal_without_approval_writes_nothing(provider):
    emulator, user_provider = provider
    created = user_provider.create(_props(1))
    emulator.reset_stats()
    with pytest.raises(WorkplaceError, match="never deprovisions without a one-run approval"):
        user_provider.delete(created.id, created.outs)
    assert emulator.stats()["writes"] == 0


def test_release_on_remove_leaves_the_account(provider, monkeypatch):
    emulator, user_provider = provider
    created = user_provider.create(_props(1))
    monkeypatch.setenv("WORKPLACE_RELEASE_ON_REMOVE", "true")
    emulator.reset_stats()
    user_provider.delete(created.id, created.outs)
    assert emulator.stats()["writes"] == 0
    assert emulator.users()[0]["active"] is True


def test_approved_removals_stop_at_the_approved_count(provider, monkeypatch):
    emulator, user_provider = provider
    monkeypatch.setenv("WORKPLACE_ALLOW_DEPROVISIONS", "2")  # read when the run starts
    ids = _create(user_provider, 3)
    outs = {i: user_provider.read(i, _props(0)).outs for i in ids}
    user_provider.delete(ids[0], outs[ids[0]])
    user_provider.delete(ids[1], outs[ids[1]])
    with pytest.raises(WorkplaceError, match="WORKPLACE_ALLOW_DEPROVISIONS=2 allows"):
        user_provider.delete(ids[2], outs[ids[2]])
    assert sorted(u["active"] for u in emulator.users()) == [False, False, True]


def test_deactivating_updates_stop_at_the_threshold(provider):
    emulator, user_provider = provider
    created = {i: user_provider.create(_props(i)) for i in range(3)}
    emulator.reset_stats()
    for i in (0, 1):
        user_provider.update(created[i].id, created[i].outs, _props(i, active=False))
    with pytest.raises(WorkplaceError, match="workplace:deprovisionThreshold allows"):
        user_provider.update(created[2].id, created[2].outs, _props(2, active=False))
    assert emulator.stats()["by_method_kind"].get("PATCH user") == 2


def test_an_unknown_setting_fails_check(provider):
    _, user_provider = provider
    raw = {"workplace:tokne": "x"}
    _runtime.reset()
    user_provider.configure(ConfigureRequest(config=Config(raw_config=raw, project_name="p")))
    with pytest.raises(WorkplaceError, match="did you mean workplace:token"):
        user_provider.check({}, _props(1))


def test_diff_with_keys_to_clear_changes_only_when_something_is_stored_under_them(provider):
    emulator, user_provider = provider
    props = _props(1)
    props["options"]["clear"] = ["title", "workPhone", "streetAddress"]
    created = user_provider.create(props)
    assert user_provider.diff(created.id, created.outs, props).changes is False
    # Someone set a title by hand: the desired empty title is a change.
    stored = {**created.outs, "attributes": {**created.outs["attributes"], "title": "Hand-made"}}
    assert user_provider.diff(created.id, stored, props).changes is True
    assert emulator.stats()["writes"] == 1


def test_a_manager_in_another_shard_is_looked_up_once_and_pending_until_it_exists(
    provider, emulator_token
):
    emulator, user_provider = provider
    report = _props(2)
    report["options"]["managerUserName"] = "boss@example.com"
    created = user_provider.create(report)
    assert created.outs["status"]["managerPending"] is True
    assert "managerId" in created.outs["options"]["clear"]
    # Nothing to do while the manager has no account.
    assert user_provider.diff(created.id, created.outs, report).changes is False
    boss = user_provider.create(_props(3, userName="boss@example.com"))
    _runtime.reset()  # a later run: a new provider process
    user_provider.configure(
        ConfigureRequest(
            config=Config(
                raw_config={
                    "workplace:tenantUrl": emulator.url,
                    "workplace:token": emulator_token,
                },
                project_name="p",
            )
        )
    )
    assert user_provider.diff(created.id, created.outs, report).changes is True
    updated = user_provider.update(created.id, created.outs, report)
    assert updated.outs["attributes"]["managerId"] == boss.id
    assert "managerPending" not in updated.outs["status"]
    stored = next(u for u in emulator.users() if u["userName"] == "p002@example.com")
    enterprise = stored["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]
    assert enterprise["manager"]["managerId"] == boss.id
    # The id found is kept: the next diff makes no lookup and sees no change.
    before = emulator.stats()["total"]
    assert user_provider.diff(created.id, updated.outs, report).changes is False
    assert emulator.stats()["total"] == before


def _take_over(user_name: str, account_id: str) -> dict[str, Any]:
    return {
        "attributes": {"userName": user_name, "active": False},
        "options": {
            "matchOn": ["userName"],
            "deprovision": "retain",
            "clear": [],
            "accountId": account_id,
        },
    }


def test_a_take_over_deactivates_exactly_its_account_and_never_posts(provider):
    emulator, user_provider = provider
    existing = _create(user_provider, 2)
    emulator.reset_stats()
    taken = user_provider.create(_take_over("p001@example.com", existing[1]))
    assert taken.id == existing[1]
    assert taken.outs["status"]["adopted"] is True
    stats = emulator.stats()
    assert stats["by_method_kind"]["POST users"] == 0 and stats["writes"] == 1
    by_id = {u["id"]: u for u in emulator.users()}
    assert by_id[existing[1]]["active"] is False and by_id[existing[0]]["active"] is True


def test_a_take_over_of_an_account_gone_or_renamed_writes_nothing(provider):
    emulator, user_provider = provider
    existing = _create(user_provider, 1)
    emulator.reset_stats()
    with pytest.raises(WorkplaceError, match="is no longer in the tenant; nothing was taken over"):
        user_provider.create(_take_over("gone@example.com", "999999"))
    with pytest.raises(WorkplaceError, match=r"is now named 'p000@example\.com'"):
        user_provider.create(_take_over("someone-else@example.com", existing[0]))
    assert emulator.stats()["writes"] == 0
    assert len(emulator.users()) == 1
