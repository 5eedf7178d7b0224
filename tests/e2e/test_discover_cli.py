"""Account discovery (issue #18) through the real CLI: `pulumi-workplace discover` and
`workplace:unmanagedAccounts` / `workplace:keepAccounts`, judged by what the emulator holds and
was sent."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import httpx
import pytest
import yaml

from e2e.test_provisioning_cli import ROOT_PROGRAM
from e2e.test_sharding_cli import _by_name, _out
from pulumi_harness import E2E_TOKEN, PulumiProject

pytestmark = pytest.mark.cli

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"


def _person(name: str, *, enabled: bool = True) -> dict:
    return {
        "id": f"obj-{name}",
        "userPrincipalName": f"{name}@contoso.com",
        "mail": f"{name}@contoso.com",
        "givenName": name.title(),
        "surname": "Test",
        "displayName": f"{name.title()} Test",
        "department": "Sales",
        "accountEnabled": enabled,
    }


def _write_directory(tmp_path, people: list[dict]) -> str:
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump({"people": people}))
    return str(path)


def _seed(emulator, user_name: str, *, active: bool = True) -> str:
    """An account made outside this project (by hand, an old integration)."""
    body = {
        "schemas": [CORE],
        "userName": user_name,
        "name": {"givenName": "Seed", "familyName": "Account"},
        "active": active,
    }
    response = httpx.post(
        emulator.url + "Users",
        json=body,
        headers={"Authorization": f"Bearer {E2E_TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _discover(project: PulumiProject, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pulumi_workplace.cli", "discover", "--stack", project.stack, *args],
        cwd=project.workdir,
        env=project.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _classes(project: PulumiProject) -> dict:
    result = _discover(project, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _names(report: dict, account_class: str) -> set[str]:
    return {a["userName"] for a in report["classes"][account_class]}


def test_discover_puts_every_account_in_one_class_and_each_policy_does_what_it_says(
    workplace_project, emulator, tmp_path
):
    people = [_person("a"), _person("b"), _person("c"), _person("d", enabled=False)]
    path = _write_directory(tmp_path, people)
    project = workplace_project(ROOT_PROGRAM)
    project.config_set_objects(
        {"workplace:directory": {"format": "yaml", "path": path}, "workplace:scope": "all"}
    )
    _seed(emulator, "a@contoso.com")  # a person in scope, before any run
    _seed(emulator, "d@contoso.com")  # a person out of scope (disabled in the directory)
    for name in ("svc-backup", "leaver1", "leaver2"):
        _seed(emulator, f"{name}@contoso.com")
    _seed(emulator, "old@contoso.com", active=False)

    # Before any run: nothing managed; one listing of six accounts, nothing written.
    emulator.reset_stats()
    before = _classes(project)
    stats = emulator.stats()
    assert stats["writes"] == 0
    assert stats["by_method_kind"]["GET users"] == 1  # 6 accounts: one page
    assert before["total"] == 6
    assert before["counts"] == {
        "managed": 0,
        "other_shard": 0,
        "not_managed": 1,
        "out_of_scope": 1,
        "no_person": 4,
    }
    assert _names(before, "not_managed") == {"a@contoso.com"}
    assert _names(before, "out_of_scope") == {"d@contoso.com"}
    old = next(a for a in before["classes"]["no_person"] if a["userName"] == "old@contoso.com")
    assert old["active"] is False and old["invited"] is True and old["claimed"] is False

    # The default policy (ignore) lists nothing and says nothing.
    emulator.reset_stats()
    project.up()
    assert emulator.stats()["by_method_kind"]["POST users"] == 2  # b and c; a is adopted
    after = _classes(project)
    assert after["counts"]["managed"] == 3 and after["counts"]["not_managed"] == 0
    assert _names(after, "managed") == {"a@contoso.com", "b@contoso.com", "c@contoso.com"}
    markdown = _discover(project)
    assert markdown.returncode == 0, markdown.stderr
    lines = markdown.stdout.splitlines()
    assert lines[0].startswith("## Workplace accounts: stack ")
    summary_at = lines.index("| Class | Key | Accounts | Active | Invited | Claimed |")
    assert summary_at < lines.index("### Managed by this stack (3)")
    assert r"| Matches no person in the directory | no\_person | 4 | 3 | 4 | 0 |" in lines
    out_file = tmp_path / "accounts.csv"
    written = _discover(project, "--format", "csv", "--output", str(out_file))
    assert written.returncode == 0, written.stderr
    rows = list(csv.DictReader(io.StringIO(out_file.read_text())))
    assert len(rows) == 8
    assert {r["userName"]: r["class"] for r in rows}["leaver1@contoso.com"] == "no_person"

    # report: named in the preview, nothing written.
    project.config_set("workplace:unmanagedAccounts", "report")
    emulator.reset_stats()
    preview = project.preview()
    assert "4 account(s) in the tenant match no person in the directory" in _out(preview)
    assert "leaver1@contoso.com" in _out(preview)
    assert emulator.stats()["writes"] == 0
    project.up()
    log = [json.loads(line) for line in (project.workdir / "provisioning-log.jsonl").open()]
    assert [r for r in log if r["action"] == "unmanaged"][-1]["error"].startswith("4 account(s)")

    # deactivate, keeping service accounts: 2 to deactivate; the guard at 1 stops the run.
    project.config_set("workplace:unmanagedAccounts", "deactivate")
    project.config_set_objects({"workplace:keepAccounts": ["SVC-*"]})
    project.config_set("workplace:deprovisionThreshold", "1")
    emulator.reset_stats()
    refused = project.preview(check=False)
    assert refused.returncode != 0
    assert "2 account" in _out(refused) and "WORKPLACE_ALLOW_DEPROVISIONS" in _out(refused)
    assert emulator.stats()["writes"] == 0

    project.env["WORKPLACE_ALLOW_DEPROVISIONS"] = "2"
    preview = project.preview()
    assert "will DEACTIVATE 2 account(s) that match no person in the directory" in _out(preview)
    assert emulator.stats()["writes"] == 0
    project.up()
    del project.env["WORKPLACE_ALLOW_DEPROVISIONS"]
    stats = emulator.stats()
    assert stats["by_method_kind"]["POST users"] == 0
    assert stats["by_method_kind"]["PATCH user"] == 2
    accounts = _by_name(emulator)
    assert accounts["leaver1@contoso.com"]["active"] is False
    assert accounts["leaver2@contoso.com"]["active"] is False
    assert accounts["svc-backup@contoso.com"]["active"] is True
    assert accounts["d@contoso.com"]["active"] is True  # a person's account: not ours to end
    assert len(accounts) == 8
    # Taken over: managed now, and the next run has nothing to do (no approval needed).
    project.preview("--expect-no-changes")
    final = _classes(project)
    assert final["counts"]["managed"] == 5
    assert _names(final, "no_person") == {"svc-backup@contoso.com", "old@contoso.com"}

    # A leaver who comes back: the account matches a person again, is released and adopted.
    people.append(_person("leaver1"))
    _write_directory(tmp_path, people)
    emulator.reset_stats()
    project.up()
    back = _by_name(emulator)["leaver1@contoso.com"]
    assert back["active"] is True and back["id"] == accounts["leaver1@contoso.com"]["id"]
    assert emulator.stats()["by_method_kind"]["POST users"] == 0
    project.preview("--expect-no-changes")


def test_bad_keep_patterns_and_policies_fail_before_any_request(
    workplace_project, emulator, tmp_path
):
    path = _write_directory(tmp_path, [_person("a")])
    project = workplace_project(ROOT_PROGRAM)
    project.config_set_objects(
        {
            "workplace:directory": {"format": "yaml", "path": path},
            "workplace:scope": "all",
            "workplace:keepAccounts": ["svc-*", {"userName": "x"}],
        }
    )
    emulator.reset_stats()
    refused = project.preview(check=False)
    assert refused.returncode != 0
    assert "workplace:keepAccounts must be a list of strings" in _out(refused)
    project.config_set_objects({"workplace:keepAccounts": ["svc-*"]})
    project.config_set("workplace:unmanagedAccounts", "deactivte")
    refused = project.preview(check=False)
    assert "workplace:unmanagedAccounts must be one of ignore, report, deactivate" in _out(refused)
    assert emulator.stats()["total"] == 0


def test_discover_reads_every_shards_stack_for_accounts_managed_elsewhere(
    workplace_project, emulator, tmp_path
):
    from e2e.test_sharding_cli import _departments, _stacks

    first, second = _departments(2)
    people = [_person(n) | {"department": first if i % 2 else second} for i, n in enumerate("abcd")]
    path = _write_directory(tmp_path, people)
    project = workplace_project(ROOT_PROGRAM, stack="s0")
    stacks = _stacks(project, emulator, path, 2)
    for stack in stacks:
        stack.up()
    report = _classes(stacks[0])
    by_class = {name: _names(report, name) for name in report["classes"]}
    assert report["total"] == 4
    assert len(by_class["managed"]) == 2 and len(by_class["other_shard"]) == 2
    assert by_class["managed"] | by_class["other_shard"] == {f"{n}@contoso.com" for n in "abcd"}
    assert {a["shard"] for a in report["classes"]["other_shard"]} == {1}
    # The other stack sees the same split the other way round.
    mirrored = _classes(stacks[1])
    assert _names(mirrored, "managed") == by_class["other_shard"]
