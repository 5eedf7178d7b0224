"""Changes made in Workplace behind Pulumi's back: found by refresh, repaired by up, and
nothing else touched."""

from __future__ import annotations

import re

import pytest
from reliability_helpers import (
    ENTERPRISE,
    admin_client,
    assert_accounts_as_declared,
    assert_state_matches_workplace,
    state_users,
    user_specs,
    versions,
)

pytestmark = pytest.mark.cli

N_USERS = 20
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


_HEADER = re.compile(r"^\s*[-+~]*\s*[\w:/.-]+: \(")


def _line(output: str, name: str) -> str:
    """What `refresh --diff` says about resource `name`: its block, header to next header."""
    blocks: list[list[str]] = []
    for line in output.splitlines():
        if _HEADER.match(line) or not blocks:
            blocks.append([])
        blocks[-1].append(line)
    found = [b for b in blocks if any(line.rstrip().endswith(f"::{name}]") for line in b)]
    return "\n".join(line for block in found for line in block)


def test_refresh_finds_deleted_and_changed_accounts_and_up_repairs_only_them(
    make_emulator, wp_project
):
    emulator = make_emulator()
    specs = user_specs(N_USERS)
    project = wp_project(emulator, specs=specs)
    project.up()
    ids = {name: entry["id"] for name, entry in state_users(project).items()}
    deleted, changed, deactivated = "u0003", "u0007", "u0011"

    with admin_client(emulator.url) as admin:
        assert admin.delete(f"Users/{ids[deleted]}").status_code in (200, 204)
        edit = admin.patch(
            f"Users/{ids[changed]}",
            json={
                "schemas": [PATCH_OP],
                "Operations": [
                    {"op": "replace", "path": "title", "value": "Intern"},
                    {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Nowhere"},
                ],
            },
        )
        assert edit.status_code == 200, edit.text
        off = admin.patch(
            f"Users/{ids[deactivated]}",
            json={
                "schemas": [PATCH_OP],
                "Operations": [{"op": "replace", "path": "active", "value": False}],
            },
        )
        assert off.status_code == 200, off.text
    drifted = {ids[changed], ids[deactivated]}
    others = {i: v for i, v in versions(emulator.users()).items() if i not in drifted}

    # Refresh: reads only, and says what it found, per resource.
    emulator.reset_stats()
    refresh = project.refresh("--diff")
    out = refresh.stdout
    assert emulator.stats()["writes"] == 0
    assert "(delete)" in _line(out, deleted), out
    changed_line = _line(out, changed)
    assert "(update)" in changed_line, out
    assert re.search(r'~ title\s*: "\w+" => "Intern"', changed_line), out
    assert re.search(r'~ department\s*: "[^"]+" => "Nowhere"', changed_line), out
    assert re.search(r"~ active\s*: true => false", _line(out, deactivated)), out
    assert re.search(r"~ 2 updated", out) and re.search(r"- 1 deleted", out), out
    assert deleted not in state_users(project)

    # The plan repairs exactly these three.
    preview = project.preview()
    assert "+ 1 to create" in preview.stdout and "~ 2 to update" in preview.stdout

    emulator.reset_stats()
    project.up()
    stats = emulator.stats()
    assert stats["by_method_kind"]["POST users"] == 1
    assert stats["by_method_kind"]["PATCH user"] == 2
    assert stats["writes"] == 3
    accounts = emulator.users()
    assert_accounts_as_declared(accounts, specs)
    assert_state_matches_workplace(project, accounts)
    # The other accounts were not written (same meta.version and lastModified).
    now = versions(accounts)
    assert {i: now[i] for i in others} == others
    # The deleted account comes back as a new account (Workplace ids are never reused).
    assert state_users(project)[deleted]["id"] not in ids.values()
