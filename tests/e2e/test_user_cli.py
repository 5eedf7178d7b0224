"""`pulumi_workplace.User` through the real Pulumi CLI against the emulator over loopback HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from pulumi_harness import E2E_TOKEN as TOKEN

pytestmark = pytest.mark.cli

TEAM = """
import pulumi
from pulumi_workplace import User

boss = User("boss", user_name="Boss@Example.com", display_name="Bea Boss",
            formatted_name="Bea Boss", work_email="boss@example.com", department="{boss_dept}",
            title="CEO", active={boss_active})
worker = User("worker", user_name="worker@example.com", display_name="Wu Worker",
              formatted_name="Wu Worker", department="Sales", manager_id=boss.id,
              start_date=1700000000, auth_method="sso")
pulumi.export("boss_id", boss.id)
pulumi.export("worker_id", worker.id)
pulumi.export("worker_adopted", worker.adopted)
"""


def team(boss_dept: str = "Board", boss_active: bool = True) -> str:
    return TEAM.format(boss_dept=boss_dept, boss_active=boss_active)


def by_name(emulator, user_name: str) -> dict:
    matches = [u for u in emulator.users() if u["userName"].lower() == user_name.lower()]
    assert len(matches) == 1, f"expected one account for {user_name}, found {len(matches)}"
    return matches[0]


ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def test_create_noop_update_deactivate_reactivate_destroy(workplace_project, emulator):
    project = workplace_project(team())

    emulator.reset_stats()
    preview = project.preview()
    assert "+ 3 to create" in preview.stdout
    assert emulator.stats()["writes"] == 0

    project.up()
    outputs = project.outputs()
    boss, worker = by_name(emulator, "boss@example.com"), by_name(emulator, "worker@example.com")
    assert outputs["boss_id"] == boss["id"] and outputs["worker_id"] == worker["id"]
    manager = worker[ENTERPRISE]["manager"]
    assert boss["id"] in (manager.get("managerId"), manager.get("value"))
    assert worker[ENTERPRISE]["department"] == "Sales"
    assert outputs["worker_adopted"] is False
    assert emulator.stats()["by_method_kind"].get("POST users") == 2

    # No-op: nothing to send, not even a read.
    emulator.reset_stats()
    assert "3 unchanged" in project.preview().stdout
    project.up("--expect-no-changes")
    assert emulator.stats()["total"] == 0

    # One attribute: exactly one PATCH to that account.
    project.write_program(team(boss_dept="Leadership"))
    emulator.reset_stats()
    project.up()
    stats = emulator.stats()
    assert stats["writes"] == 1 and stats["by_method_kind"].get("PATCH user") == 1
    assert by_name(emulator, "boss@example.com")[ENTERPRISE]["department"] == "Leadership"

    # active=False deactivates, True reactivates; the account and its id stay.
    project.write_program(team(boss_dept="Leadership", boss_active=False))
    project.up()
    assert by_name(emulator, "boss@example.com")["active"] is False
    project.write_program(team(boss_dept="Leadership", boss_active=True))
    project.up()
    assert by_name(emulator, "boss@example.com")["active"] is True
    assert by_name(emulator, "boss@example.com")["id"] == boss["id"]

    # An approved destroy deactivates: nobody is deleted (tests/e2e/test_removal_guard_cli.py
    # has the unapproved cases).
    project.env["WORKPLACE_ALLOW_DEPROVISIONS"] = "2"
    project.destroy()
    assert len(emulator.users()) == 2
    assert all(u["active"] is False for u in emulator.users())


def test_refresh_reports_drift_and_up_repairs_it(workplace_project, emulator):
    project = workplace_project(team())
    project.up()
    boss = by_name(emulator, "boss@example.com")
    worker_before = by_name(emulator, "worker@example.com")

    # Someone edits the account in Workplace directly.
    with httpx.Client(
        base_url=emulator.url,
        headers={"Authorization": f"Bearer {TOKEN}", "User-Agent": "test-admin"},
    ) as admin:
        response = admin.patch(
            f"Users/{boss['id']}",
            json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "title", "value": "Intern"}],
            },
        )
        assert response.status_code == 200, response.text

    # Without refresh Pulumi does not know; with refresh it plans exactly the repair.
    assert "3 unchanged" in project.preview().stdout
    emulator.reset_stats()
    drift = project.preview("--refresh", "--diff")
    assert "~ 1 to update" in drift.stdout
    assert re.search(r'~ title\s*: "Intern" => "CEO"', drift.stdout), drift.stdout
    # Refresh lists users page by page (one page here) instead of one GET per account.
    stats = emulator.stats()
    assert stats["by_method_kind"].get("GET user", 0) == 0
    assert stats["by_method_kind"].get("GET users", 0) == 1
    assert stats["writes"] == 0

    emulator.reset_stats()
    project.up("--refresh")
    assert by_name(emulator, "boss@example.com")["title"] == "CEO"
    stats = emulator.stats()
    assert stats["writes"] == 1 and stats["by_method_kind"].get("PATCH user") == 1
    assert by_name(emulator, "worker@example.com") == worker_before


def test_account_deleted_in_workplace_is_dropped_by_refresh(workplace_project, emulator):
    project = workplace_project(team())
    project.up()
    boss = by_name(emulator, "boss@example.com")
    worker = by_name(emulator, "worker@example.com")
    with httpx.Client(
        base_url=emulator.url,
        headers={"Authorization": f"Bearer {TOKEN}", "User-Agent": "test-admin"},
    ) as admin:
        assert admin.delete(f"Users/{worker['id']}").status_code in (200, 204)
    result = project.refresh()
    assert "deleted" in result.stdout
    ids = {r["id"] for r in project.resources("workplace:User")}
    assert ids == {boss["id"]}
    # The next up creates it again.
    project.up()
    assert by_name(emulator, "worker@example.com")["id"] != worker["id"]


def test_existing_account_is_adopted_not_duplicated(workplace_project, emulator):
    with httpx.Client(
        base_url=emulator.url,
        headers={"Authorization": f"Bearer {TOKEN}", "User-Agent": "test-admin"},
    ) as admin:
        created = admin.post(
            "Users",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "WORKER@example.com",
                "name": {"formatted": "Old Name"},
                "active": False,
            },
        )
        assert created.status_code == 201, created.text
        existing_id = created.json()["id"]

    project = workplace_project(team())
    emulator.reset_stats()
    project.up()
    worker = by_name(emulator, "worker@example.com")
    assert worker["id"] == existing_id
    assert worker["active"] is True  # reactivated
    assert worker["name"]["formatted"] == "Wu Worker"
    assert project.outputs()["worker_adopted"] is True
    assert emulator.stats()["by_method_kind"].get("POST users") == 1  # only the boss is new


DEPROVISION = """
from pulumi_workplace import User

for mode in ("deactivate", "delete", "retain"):
    User(mode, user_name=f"{mode}@example.com", formatted_name=mode, deprovision=mode)
User("claimed", user_name="claimed@example.com", formatted_name="Claimed", deprovision="delete")
"""


def test_destroy_follows_each_deprovision_mode(workplace_project, emulator):
    project = workplace_project(DEPROVISION)
    project.up()
    emulator.mark_claimed(by_name(emulator, "claimed@example.com")["id"])

    project.env["WORKPLACE_ALLOW_DEPROVISIONS"] = "3"  # retain is not a deprovision
    result = project.destroy()
    assert "claimed" in result.stdout + result.stderr
    remaining = {u["userName"]: u for u in emulator.users()}
    assert remaining["deactivate@example.com"]["active"] is False
    assert "delete@example.com" not in remaining
    assert remaining["retain@example.com"]["active"] is True
    assert remaining["claimed@example.com"]["active"] is False  # claimed: deactivated instead


def test_bad_token_fails_the_preview_clearly(workplace_project, emulator):
    project = workplace_project(team())
    project.config_set("workplace:token", "not-the-token", secret=True)
    result = project.preview(check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "401" in output and "workplace:token" in output
    assert "not-the-token" not in output


def test_invalid_input_is_refused_before_any_request(workplace_project, emulator):
    project = workplace_project(
        "from pulumi_workplace import User\n"
        "User('bad', user_name='has space@example.com', work_email='nope', auth_method='magic')\n"
    )
    emulator.reset_stats()
    result = project.preview(check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "userName" in output and "workEmail" in output and "authMethod" in output
    assert emulator.stats()["total"] == 0


def test_token_never_reaches_state_or_output(workplace_project, emulator):
    project = workplace_project(team())
    runs = [project.preview(), project.up(), project.refresh(), project.preview("--diff")]
    assert all(TOKEN not in run.stdout + run.stderr for run in runs)
    # Pulumi keeps the secret config of the default provider encrypted; nothing else holds it.
    state_dir = Path(project.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    files = [p for p in state_dir.rglob("*") if p.is_file()]
    assert files, "no state files found"
    assert all(TOKEN not in p.read_text(errors="replace") for p in files)
    assert TOKEN not in project.run("stack", "export").stdout


RENAMED = """
from pulumi_workplace import User

User("{name}", user_name="ren@example.com", display_name="Ren Amed", department="Ops")
"""


def test_resource_renamed_without_alias_keeps_the_account_active(workplace_project, emulator):
    # A new resource name without an alias is a create plus a delete in one run: the create
    # adopts the account, and the delete must not then deactivate it.
    project = workplace_project(RENAMED.format(name="first-name"))
    project.up()
    account = by_name(emulator, "ren@example.com")
    project.write_program(RENAMED.format(name="second-name"))
    emulator.reset_stats()
    result = project.up()
    assert "managed by" in result.stdout + result.stderr
    after = by_name(emulator, "ren@example.com")
    assert after["id"] == account["id"] and after["active"] is True
    assert emulator.stats()["writes"] == 0
    names = [r["urn"].rsplit("::", 1)[-1] for r in project.resources("workplace:User")]
    assert names == ["second-name"]


OUTPUTS = """
import pulumi
from pulumi_workplace import User

ada = User("ada", user_name="ada@example.com", department="Research", work_email="ada@example.com")
pulumi.export("department", ada.department)
pulumi.export("work_email", ada.attribute("workEmail"))
pulumi.export("title", ada.title)
pulumi.export("claimed", ada.claimed)
pulumi.export("managed", ada.managed)
pulumi.export("managed_in_state", ada.status.apply(lambda status: status["managed"]))
"""


def test_outputs_read_from_the_attributes_and_status_properties(workplace_project, emulator):
    project = workplace_project(OUTPUTS)
    project.up()
    # `title` is not managed: it resolves to None, which Pulumi leaves out of stack outputs.
    assert project.outputs() == {
        "department": "Research",
        "work_email": "ada@example.com",
        "claimed": False,
        "managed": ["active", "department", "userName", "workEmail"],
        # Stored packed: one value instead of one per key (resources/_user_props.py).
        "managed_in_state": "active,department,userName,workEmail",
    }
    # Three properties per account, not one per attribute.
    (user,) = project.resources("workplace:User")
    assert sorted(k for k in user["inputs"] if not k.startswith("__")) == ["attributes", "options"]
    assert sorted(k for k in user["outputs"] if not k.startswith("__")) == [
        "attributes",
        "options",
        "status",
    ]


MANY = """
from pulumi_workplace import User

for i in range(30):
    User(f"p{i:02d}", user_name=f"p{i:02d}@example.com", display_name=f"Person {i}")
"""


def test_a_large_create_lists_once_instead_of_searching_per_account(workplace_project, emulator):
    with httpx.Client(base_url=emulator.url, headers={"Authorization": f"Bearer {TOKEN}"}) as admin:
        made = admin.post(
            "Users",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "P17@Example.com",
            },
        )
        assert made.status_code == 201, made.text
    project = workplace_project(MANY)
    emulator.reset_stats()
    project.up()
    stats = emulator.stats()["by_method_kind"]
    # The connection test, a few searches while the first creates run (four at a time), one
    # listing page, and the search for the one listed candidate; never one search per account.
    assert stats.get("POST users") == 29, stats
    assert stats.get("GET users", 0) <= 7, stats
    assert by_name(emulator, "p17@example.com")["id"] == made.json()["id"]
    assert len(emulator.users()) == 30


FAILING_APPLY = """
import pulumi
from pulumi_workplace import User

ada = User("ada", user_name="ada@example.com")
pulumi.export("broken", ada.id.apply(lambda _: 1 / 0))
"""


def test_a_failing_apply_still_fails_the_run(workplace_project):
    # The program's wait for outputs is our O(K) replacement; a failure must still surface.
    project = workplace_project(FAILING_APPLY)
    result = project.up(check=False)
    assert result.returncode != 0
    assert "ZeroDivisionError" in result.stdout + result.stderr
