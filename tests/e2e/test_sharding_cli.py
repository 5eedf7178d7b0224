"""Sharded stacks (issue #17) through the real CLI: one tenant, one directory, K stacks.

Each stack of one project manages one shard (`workplace:shard`, hashed on `department` here so
the tests choose who lives where). Judged by what the emulator holds and was sent.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from e2e.test_provisioning_cli import ROOT_PROGRAM
from pulumi_harness import E2E_TOKEN, PulumiProject
from pulumi_workplace.directory import Person
from pulumi_workplace.resources.provisioning import digest_output_name
from pulumi_workplace.sharding import ShardSpec

pytestmark = pytest.mark.cli

DEPARTMENTS = ["Sales", "Support", "Board", "Ops", "Legal", "Finance", "Tax", "Design"]


def _shard_of(department: str, count: int) -> int:
    spec = ShardSpec(count=count, key="department")
    return spec.shard_of(
        Person(id="x", attributes={"userPrincipalName": "x@y", "department": department})
    )


def _departments(count: int) -> list[str]:
    """One department per shard, in shard order."""
    found: dict[int, str] = {}
    for name in DEPARTMENTS:
        found.setdefault(_shard_of(name, count), name)
    assert len(found) == count, "the candidate departments cover every shard"
    return [found[i] for i in range(count)]


A, B = _departments(2)


def _person(upn: str, dept: str, manager: str = "") -> dict:
    return {
        "id": upn.split("@")[0],
        "userPrincipalName": upn,
        "mail": upn,
        "givenName": upn.split("@")[0].title(),
        "surname": "Test",
        "displayName": f"{upn.split('@')[0].title()} Test",
        "department": dept,
        "manager": manager,
        "accountEnabled": True,
    }


def _write_directory(tmp_path, people: list[dict]) -> str:
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump({"people": people}))
    return str(path)


def _stacks(project: PulumiProject, emulator, path: str, count: int) -> list[PulumiProject]:
    """Stacks `s0` .. `s<count-1>` of the project, one per shard, with the same config."""
    stacks = []
    for index in range(count):
        stack = project if index == 0 else PulumiProject(project.workdir, f"s{index}", project.env)
        if index > 0:
            stack.run("stack", "init", stack.stack)
            stack.config_set("workplace:tenantUrl", emulator.url)
            stack.config_set("workplace:token", E2E_TOKEN, secret=True)
        stack.config_set_objects(
            {
                "workplace:directory": {"format": "yaml", "path": path},
                "workplace:scope": "all",
                "workplace:shard": {"count": count, "index": index, "key": "department"},
            }
        )
        stacks.append(stack)
    return stacks


def _by_name(emulator) -> dict[str, dict]:
    return {u["userName"]: u for u in emulator.users()}


def _out(result) -> str:
    return result.stdout + result.stderr


def test_a_person_moving_between_shards_is_never_deactivated_whichever_runs_first(
    workplace_project, emulator, tmp_path
):
    people = [_person(f"{n}@contoso.com", A if i % 2 else B) for i, n in enumerate("abcdef")]
    path = _write_directory(tmp_path, people)
    project = workplace_project(ROOT_PROGRAM, stack="s0")
    s0, s1 = _stacks(project, emulator, path, 2)
    s0.up()
    s1.up()
    accounts = _by_name(emulator)
    assert len(accounts) == 6 and all(u["active"] for u in accounts.values())
    owner = {A: s0, B: s1}

    # a@ moves from B to A; the old shard (s1) runs first: it stops managing a@, writes nothing.
    people[0]["department"] = A
    _write_directory(tmp_path, people)
    emulator.reset_stats()
    preview = owner[B].preview()
    assert "will STOP MANAGING 1 account(s): a@contoso.com (other_shard)" in _out(preview)
    owner[B].up()
    assert emulator.stats()["writes"] == 0
    assert _by_name(emulator)["a@contoso.com"]["active"] is True
    # The new shard adopts the account: one PATCH (the department), no POST.
    owner[A].up()
    stats = emulator.stats()
    assert stats["by_method_kind"]["POST users"] == 0
    assert stats["by_method_kind"]["PATCH user"] == 1
    moved = _by_name(emulator)["a@contoso.com"]
    assert moved["active"] is True and moved["id"] == accounts["a@contoso.com"]["id"]

    # And back, the new shard (s1) first: it adopts the account the other stack still manages.
    people[0]["department"] = B
    _write_directory(tmp_path, people)
    emulator.reset_stats()
    owner[B].up()
    assert emulator.stats()["by_method_kind"]["PATCH user"] == 1
    assert _by_name(emulator)["a@contoso.com"]["active"] is True
    owner[A].up()  # releases a@: no write, and the account stays active
    assert emulator.stats()["writes"] == 1
    for stack in (s0, s1):
        stack.up()  # the released resource leaves the state without a request
    assert emulator.stats()["writes"] == 1
    final = _by_name(emulator)
    assert len(final) == 6 and all(u["active"] for u in final.values())
    assert (
        final["a@contoso.com"]["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"][
            "department"
        ]
        == B
    )
    for stack in (s0, s1):
        stack.preview("--expect-no-changes")


def test_a_manager_in_another_shard_is_written_before_and_after_its_report(
    workplace_project, emulator, tmp_path
):
    # m1 (shard A) manages r1 (shard B); m2 (shard B) manages r2 (shard A).
    people = [
        _person("m1@contoso.com", A),
        _person("r1@contoso.com", B, "m1@contoso.com"),
        _person("m2@contoso.com", B),
        _person("r2@contoso.com", A, "m2@contoso.com"),
    ]
    path = _write_directory(tmp_path, people)
    project = workplace_project(ROOT_PROGRAM, stack="s0")
    stacks = _stacks(project, emulator, path, 2)
    first, second = stacks[_shard_of(A, 2)], stacks[_shard_of(B, 2)]
    preview = first.preview()
    assert "1 person has a manager in another shard" in _out(preview)
    assert "r2@contoso.com (manager m2@contoso.com)" in _out(preview)

    first.up()  # m1 and r2; r2's manager m2 has no account yet
    r2 = _by_name(emulator)["r2@contoso.com"]
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert not (r2.get(enterprise) or {}).get("manager")
    assert first.outputs()[digest_output_name("workplace")] == "pending"

    second.up()  # m2 and r1: r1's manager m1 exists already
    accounts = _by_name(emulator)
    assert (
        accounts["r1@contoso.com"][enterprise]["manager"]["managerId"]
        == (accounts["m1@contoso.com"]["id"])
    )
    assert second.outputs()[digest_output_name("workplace")] != "pending"

    emulator.reset_stats()
    first.up()  # a later run fills in r2's manager
    accounts = _by_name(emulator)
    assert (
        accounts["r2@contoso.com"][enterprise]["manager"]["managerId"]
        == (accounts["m2@contoso.com"]["id"])
    )
    assert emulator.stats()["by_method_kind"]["PATCH user"] == 1
    assert first.outputs()[digest_output_name("workplace")] != "pending"
    for stack in stacks:
        stack.preview("--expect-no-changes")


def _shards_command(project: PulumiProject, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pulumi_workplace.cli", "shards", "--stack", "s0", *args],
        cwd=project.workdir,
        env=project.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_an_empty_shard_the_shards_command_and_a_refused_change_of_k(
    workplace_project, emulator, tmp_path
):
    # Everyone is in department A: with 2 shards, shard B is empty.
    people = [_person(f"{n}@contoso.com", A) for n in "abcd"]
    path = _write_directory(tmp_path, people)
    project = workplace_project(ROOT_PROGRAM, stack="s0")
    stacks = _stacks(project, emulator, path, 2)
    empty = stacks[_shard_of(B, 2)]
    full = stacks[_shard_of(A, 2)]
    # A misspelt key fails the preview before any request.
    empty.config_set_objects({"workplace:shard": {"count": 2, "index": 0, "key": "departmnt"}})
    emulator.reset_stats()
    refused = empty.preview(check=False)
    assert refused.returncode != 0
    assert "workplace:shard.key: source attribute 'departmnt' is not in the directory" in _out(
        refused
    )
    assert "did you mean 'department'" in _out(refused)
    assert emulator.stats()["total"] == 0
    empty.config_set_objects(
        {"workplace:shard": {"count": 2, "index": _shard_of(B, 2), "key": "department"}}
    )
    empty.up()
    assert emulator.users() == []
    full.up()
    assert len(emulator.users()) == 4
    # Second runs: their digests are still plain outputs (read back next to a secret).
    for stack in (empty, full):
        second = stack.up("--expect-no-changes")
        assert "~ workplace.desiredDigest" not in second.stdout
    listed = _shards_command(project, "--format", "json", "--max-per-stack", "3")
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    assert report["inScope"] == 4 and report["configured"] == 2 and report["needed"] == 2
    assert report["matrix"] == {
        "include": [{"shard": 0, "stack": "s0"}, {"shard": 1, "stack": "s1"}]
    }
    assert sorted(s["people"] for s in report["shards"]) == [0, 4]
    changed = _shards_command(project, "--changed", "--format", "matrix")
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout) == {"include": []}
    # One person changes: only that person's shard is listed.
    people[1]["surname"] = "Moved"
    _write_directory(tmp_path, people)
    changed = _shards_command(project, "--changed", "--format", "matrix")
    assert json.loads(changed.stdout) == {
        "include": [{"shard": _shard_of(A, 2), "stack": full.stack}]
    }

    # A new shard count moves people: refused at preview and up, with no write.
    full.config_set_objects(
        {"workplace:shard": {"count": 3, "index": _shard_of(A, 2), "key": "department"}}
    )
    emulator.reset_stats()
    for run in (full.preview, full.up):
        result = run(check=False)
        assert result.returncode != 0
        assert "workplace:shard changes from shard" in _out(result)
        assert "WORKPLACE_ALLOW_SHARD_CHANGE=" in _out(result)
        assert emulator.stats()["writes"] == 0
    token = f"{_shard_of(A, 2)}/3:department"
    assert f"WORKPLACE_ALLOW_SHARD_CHANGE={token}" in _out(result)
    full.env["WORKPLACE_ALLOW_SHARD_CHANGE"] = token
    approved = full.up()
    assert "approved for this run" in _out(approved)
    # Whether or not department A stays in this shard at K = 3, nobody is deactivated.
    accounts = emulator.users()
    assert len(accounts) == 4 and all(u["active"] for u in accounts)
    assert emulator.stats()["by_method_kind"]["PATCH user"] == int(
        _shard_of(A, 3) == _shard_of(A, 2)
    )  # the surname, written only if the people stay here
