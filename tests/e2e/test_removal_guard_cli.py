"""No engine path around the deprovisioning guard (docs/operations.md, "What `pulumi destroy`
does"): destroy, an emptied program, a program that drops its `User`s, a renamed component.

Every case runs the real CLI on the sample directory (examples/directory, 47 accounts) with
`workplace:deprovisionThreshold: 5` and judges by what the emulator was sent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from e2e.test_provisioning_cli import ROOT_PROGRAM

pytestmark = pytest.mark.cli

REPO = Path(__file__).resolve().parents[2]
SAMPLE_ACCOUNTS = 47
RELEASE = "WORKPLACE_RELEASE_ON_REMOVE"
ALLOW = "WORKPLACE_ALLOW_DEPROVISIONS"


def _sample_project(workplace_project, tmp_path):
    """The demo stack's config (examples/directory) with a deprovisioning threshold of 5."""
    project = workplace_project(ROOT_PROGRAM)
    shutil.copytree(REPO / "examples/directory", project.workdir / "examples/directory")
    config = yaml.safe_load((REPO / "Pulumi.demo.yaml").read_text())["config"]
    config["workplace:deprovisionThreshold"] = 5
    project.config_set_objects(config)
    return project


@pytest.fixture
def provisioned(workplace_project, emulator, tmp_path):
    project = _sample_project(workplace_project, tmp_path)
    project.up()
    assert len(emulator.users()) == SAMPLE_ACCOUNTS
    assert all(u["active"] for u in emulator.users())
    emulator.reset_stats()
    return project


def _output(result) -> str:
    return result.stdout + result.stderr


def _assert_refused_removal(result) -> None:
    output = _output(result)
    assert result.returncode != 0
    assert "a removal never deprovisions without a one-run approval" in output
    assert "nothing was changed" in output
    assert f"{RELEASE}=true" in output and f"{ALLOW}=<count>" in output


def test_destroy_changes_no_account_and_fails_before_any_write(provisioned, emulator):
    result = provisioned.destroy(check=False)
    _assert_refused_removal(result)
    assert emulator.stats()["writes"] == 0
    assert all(u["active"] for u in emulator.users())
    # Nothing was lost either: the stack still manages every account.
    assert len(provisioned.resources("workplace:User")) == SAMPLE_ACCOUNTS
    emulator.reset_stats()
    provisioned.up("--expect-no-changes")
    assert emulator.stats()["writes"] == 0


def test_destroy_with_release_leaves_every_account_as_it_is(provisioned, emulator):
    before = {u["id"]: u for u in emulator.users()}
    provisioned.env[RELEASE] = "true"
    result = provisioned.destroy()
    assert "left as it is" in _output(result)
    assert emulator.stats()["writes"] == 0
    assert provisioned.resources("workplace:User") == []
    assert {u["id"]: u for u in emulator.users()} == before


def test_approved_destroy_deactivates_at_most_the_approved_count(provisioned, emulator):
    # An approval short of the count: exactly that many go, the rest stay in the stack.
    provisioned.env[ALLOW] = "10"
    short = provisioned.destroy(check=False)
    assert short.returncode != 0
    assert "the most that WORKPLACE_ALLOW_DEPROVISIONS=10 allows (10)" in _output(short)
    assert emulator.stats()["by_method_kind"].get("PATCH user", 0) == 10
    inactive = [u for u in emulator.users() if not u["active"]]
    assert len(inactive) == 10
    left = len(provisioned.resources("workplace:User"))
    assert left == SAMPLE_ACCOUNTS - 10

    emulator.reset_stats()
    provisioned.env[ALLOW] = str(left)
    provisioned.destroy()
    assert emulator.stats()["by_method_kind"].get("PATCH user", 0) == left
    assert not any(u["active"] for u in emulator.users())
    assert len(emulator.users()) == SAMPLE_ACCOUNTS  # deactivated, never deleted


def test_an_emptied_program_writes_nothing_and_says_how_to_approve(provisioned, emulator):
    provisioned.write_program("# a bad merge left the program empty\n")
    result = provisioned.up(check=False)
    _assert_refused_removal(result)
    assert emulator.stats()["writes"] == 0
    assert all(u["active"] for u in emulator.users())

    # The program comes back: the stack converges again without a write.
    provisioned.write_program(ROOT_PROGRAM)
    emulator.reset_stats()
    again = provisioned.up()
    assert emulator.stats()["writes"] == 0, _output(again)
    assert len(provisioned.resources("workplace:User")) == SAMPLE_ACCOUNTS
    provisioned.up("--expect-no-changes")


def test_a_changed_component_name_makes_no_write(provisioned, emulator):
    provisioned.config_set("workplace:name", "people")
    result = provisioned.up()
    assert emulator.stats()["writes"] == 0, _output(result)
    assert all(u["active"] for u in emulator.users())
    names = {r["urn"].rsplit("::", 1)[-1] for r in provisioned.resources("workplace:User")}
    assert len(names) == SAMPLE_ACCOUNTS and all(n.startswith("people/") for n in names)


USERS = """
from pulumi_workplace import User

for index in range({count}):
    User(f"u{{index}}", user_name=f"user{{index}}@example.com", formatted_name=f"User {{index}}",
         active={active}, deprovision="{mode}")
"""


def _users_project(workplace_project, *, count: int, active: str = "True", mode="deactivate"):
    project = workplace_project(USERS.format(count=count, active=active, mode=mode))
    project.config_set("workplace:deprovisionThreshold", "5")
    return project


def test_a_program_that_drops_users_needs_an_approval(workplace_project, emulator):
    project = _users_project(workplace_project, count=8)
    project.up()
    project.write_program(USERS.format(count=2, active="True", mode="deactivate"))

    emulator.reset_stats()
    _assert_refused_removal(project.up(check=False))
    assert emulator.stats()["writes"] == 0
    assert all(u["active"] for u in emulator.users())

    emulator.reset_stats()
    project.env[ALLOW] = "6"
    project.up()
    assert emulator.stats()["by_method_kind"].get("PATCH user", 0) == 6
    active = sorted(u["userName"] for u in emulator.users() if u["active"])
    assert active == ["user0@example.com", "user1@example.com"]


def test_deactivating_updates_from_any_program_stop_at_the_threshold(workplace_project, emulator):
    # A custom program without Provisioning sets active=False on 8 accounts: the provider's own
    # count stops the sixth (the program-side guard never saw these).
    project = _users_project(workplace_project, count=8)
    project.up()
    project.write_program(USERS.format(count=8, active="False", mode="deactivate"))
    emulator.reset_stats()
    result = project.up("--parallel", "1", check=False)
    assert result.returncode != 0
    assert "the most that workplace:deprovisionThreshold allows (5)" in _output(result)
    assert emulator.stats()["by_method_kind"].get("PATCH user", 0) == 5
    assert sum(1 for u in emulator.users() if not u["active"]) == 5


def test_deprovision_delete_works_through_the_approval(workplace_project, emulator):
    project = _users_project(workplace_project, count=3, mode="delete")
    project.up()
    claimed = next(u for u in emulator.users() if u["userName"] == "user0@example.com")
    emulator.mark_claimed(claimed["id"])

    emulator.reset_stats()
    _assert_refused_removal(project.destroy(check=False))
    assert emulator.stats()["writes"] == 0

    project.env[ALLOW] = "3"
    result = project.destroy()
    assert "claimed" in _output(result)
    remaining = {u["userName"]: u for u in emulator.users()}
    assert set(remaining) == {"user0@example.com"}  # the claimed one is deactivated instead
    assert remaining["user0@example.com"]["active"] is False


@pytest.mark.parametrize("program", ["root", "users"])
def test_a_misspelt_setting_fails_the_preview_before_any_request(
    workplace_project, emulator, tmp_path, program
):
    # A typo in the guard's own setting must never leave the default of 500 in force silently.
    if program == "root":
        project = _sample_project(workplace_project, tmp_path)
    else:
        project = _users_project(workplace_project, count=2)
    project.config_set("workplace:deprovisonThreshold", "5")
    emulator.reset_stats()
    result = project.preview(check=False)
    output = _output(result)
    assert result.returncode != 0
    assert "workplace:deprovisonThreshold is not a setting" in output
    assert "did you mean workplace:deprovisionThreshold" in output
    assert emulator.stats()["total"] == 0
