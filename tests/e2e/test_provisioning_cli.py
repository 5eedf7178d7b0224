"""The config-driven root program (`Provisioning`) through the real CLI against the emulator."""

from __future__ import annotations

import pytest
import yaml

pytestmark = pytest.mark.cli

ROOT_PROGRAM = "from pulumi_workplace.program import main\n\nmain()\n"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def person(upn: str, given: str, surname: str, dept: str, manager: str = "", **extra):
    return {
        "id": upn.split("@")[0],
        "userPrincipalName": upn,
        "mail": upn,
        "mailNickname": upn.split("@")[0],
        "givenName": given,
        "surname": surname,
        "displayName": f"{given} {surname}",
        "jobTitle": "Staff",
        "department": dept,
        "manager": manager,
        "accountEnabled": True,
        **extra,
    }


def directory(dept_of_lena: str = "Sales", bob_in_sales: bool = True) -> dict:
    sales = ["lena@contoso.com", "kai@contoso.com"] + (["bob@contoso.com"] if bob_in_sales else [])
    return {
        "people": [
            person("ana@contoso.com", "Ana", "Silva", "Board"),
            person("lena@contoso.com", "Lena", "Meyer", dept_of_lena, "ana@contoso.com"),
            person("kai@contoso.com", "Kai", "Tanaka", "Sales", "lena@contoso.com"),
            person("bob@contoso.com", "Bob", "O'Neil", "Sales", "lena@contoso.com"),
            person("zoe@contoso.com", "Zoë", "Brandt", "Support", "ana@contoso.com"),
        ],
        "groups": [
            {"name": "Sales", "members": sales},
            {"name": "Leadership", "members": ["ana@contoso.com"]},
        ],
    }


def configure(project, tmp_path, directory_doc: dict, mappings: list | None = None) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump(directory_doc, allow_unicode=True))
    values = {
        "workplace:directory": {"format": "yaml", "path": str(path)},
        "workplace:roles": ["Employee", "Admin"],
        "workplace:assignments": [
            {"group": "Sales", "role": "Employee"},
            {"group": "Leadership", "role": "Admin"},
        ],
    }
    if mappings is not None:
        values["workplace:mappings"] = mappings
    project.config_set_objects(values)


def accounts(emulator) -> dict[str, dict]:
    return {u["userName"]: u for u in emulator.users()}


def test_group_assignment_unassignment_and_changes(workplace_project, emulator, tmp_path):
    project = workplace_project(ROOT_PROGRAM)
    configure(project, tmp_path, directory())

    preview = project.preview()
    assert "+ 6 to create" in preview.stdout  # stack + component + 4 assigned people

    project.up()
    stored = accounts(emulator)
    assert set(stored) == {
        "ana@contoso.com",
        "lena@contoso.com",
        "kai@contoso.com",
        "bob@contoso.com",
    }  # zoe is not assigned
    assert project.outputs()["counts"] == {"provision": 4, "deactivate": 0, "release": 0}
    lena, kai = stored["lena@contoso.com"], stored["kai@contoso.com"]
    manager = kai[ENTERPRISE]["manager"]
    assert lena["id"] in (manager.get("managerId"), manager.get("value"))
    assert lena["emails"][0]["value"] == "lena@contoso.com"

    # Unassign Bob (he leaves the Sales group): the preview says so plainly; up deactivates.
    configure(project, tmp_path, directory(bob_in_sales=False))
    emulator.reset_stats()
    preview = project.preview()
    assert "will DEACTIVATE 1 account(s): bob@contoso.com (unassigned)" in preview.stdout
    assert "~ 1 to update" in preview.stdout
    project.up()
    assert accounts(emulator)["bob@contoso.com"]["active"] is False
    assert emulator.stats()["writes"] == 1
    assert project.outputs()["deactivated"] == {"bob": "unassigned"}

    # Still unassigned next run: nothing more to say or do.
    emulator.reset_stats()
    again = project.up("--expect-no-changes")
    assert "will DEACTIVATE" not in again.stdout
    assert emulator.stats()["writes"] == 0

    # Re-assign: reactivated, same account.
    configure(project, tmp_path, directory(bob_in_sales=True))
    project.up()
    assert accounts(emulator)["bob@contoso.com"]["active"] is True
    assert accounts(emulator)["bob@contoso.com"]["id"] == stored["bob@contoso.com"]["id"]

    # One department changes in the source: exactly one PATCH.
    configure(project, tmp_path, directory(dept_of_lena="Marketing"))
    emulator.reset_stats()
    project.up()
    stats = emulator.stats()
    assert stats["writes"] == 1 and stats["by_method_kind"]["PATCH user"] == 1
    assert accounts(emulator)["lena@contoso.com"][ENTERPRISE]["department"] == "Marketing"

    # A mapping changes: only that attribute, on every affected account.
    before = accounts(emulator)
    configure(
        project,
        tmp_path,
        directory(dept_of_lena="Marketing"),
        mappings=[{"target": "title", "expression": 'Join(" - ", [jobTitle], [department])'}],
    )
    emulator.reset_stats()
    project.up()
    after = accounts(emulator)
    assert emulator.stats()["by_method_kind"]["PATCH user"] == 4
    for name, account in after.items():
        assert account["title"] == f"Staff - {account[ENTERPRISE]['department']}"
        changed = {k for k in account if account[k] != before[name][k]} - {"meta", "title"}
        assert changed == set(), f"{name}: unexpected changes {changed}"


def test_bad_directory_fails_preview_before_any_request(workplace_project, emulator, tmp_path):
    project = workplace_project(ROOT_PROGRAM)
    broken = directory()
    broken["people"][2]["userPrincipalName"] = "LENA@contoso.com"  # duplicate of Lena
    configure(project, tmp_path, broken)
    emulator.reset_stats()
    result = project.preview(check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "directory.yaml" in output and "duplicate" in output.lower()
    assert "Traceback" not in output
    assert emulator.stats()["total"] == 0


def test_default_access_role_is_refused(workplace_project, emulator, tmp_path):
    project = workplace_project(ROOT_PROGRAM)
    configure(project, tmp_path, directory())
    project.config_set_objects(
        {"workplace:assignments": [{"group": "Sales", "role": "Default Access"}]}
    )
    result = project.preview(check=False)
    assert result.returncode != 0
    assert "Default Access" in result.stdout + result.stderr
    assert emulator.stats()["writes"] == 0


def test_renamed_person_is_an_update_not_a_new_account(workplace_project, emulator, tmp_path):
    project = workplace_project(ROOT_PROGRAM)
    configure(project, tmp_path, directory())
    project.up()
    kai = accounts(emulator)["kai@contoso.com"]

    renamed = directory()
    for entry in renamed["people"]:
        if entry["id"] == "kai":
            entry["userPrincipalName"] = entry["mail"] = "kai.tanaka@contoso.com"
    renamed["groups"][0]["members"] = [
        "kai.tanaka@contoso.com" if m == "kai@contoso.com" else m
        for m in renamed["groups"][0]["members"]
    ]
    configure(project, tmp_path, renamed)
    preview = project.preview()
    assert "to create" not in preview.stdout and "to delete" not in preview.stdout
    assert "workplace/kai.tanaka@contoso.com" in preview.stdout
    emulator.reset_stats()
    project.up()
    after = accounts(emulator)
    assert "kai@contoso.com" not in after
    assert after["kai.tanaka@contoso.com"]["id"] == kai["id"]
    assert emulator.stats()["by_method_kind"]["POST users"] == 0
