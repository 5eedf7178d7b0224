"""Mappings that cannot silently break, and a run that survives one bad person (issue #15),
through the real CLI against the emulator, judged by what the emulator was sent."""

from __future__ import annotations

import pytest

from e2e.test_provisioning_cli import ROOT_PROGRAM, configure, directory

pytestmark = pytest.mark.cli

ASSIGNED = 4  # ana, lena, kai, bob (zoe is not assigned)


def _output(result) -> str:
    return result.stdout + result.stderr


def test_a_misspelt_source_attribute_fails_the_preview_with_no_request(
    workplace_project, emulator, tmp_path
):
    project = workplace_project(ROOT_PROGRAM)
    configure(
        project,
        tmp_path,
        directory(),
        mappings=[{"target": "displayName", "expression": 'Join(" ", [givnName], [surname])'}],
    )
    project.config_set_objects(
        {
            "workplace:scopingFilters": [
                {"clauses": [{"attribute": "departmnt", "operator": "EQUALS", "value": "Sales"}]}
            ]
        }
    )
    emulator.reset_stats()
    result = project.preview(check=False)
    out = _output(result)
    assert result.returncode != 0
    assert "workplace:mappings[0] (displayName): source attribute 'givnName'" in out, out[-2000:]
    assert "did you mean 'givenName'" in out
    assert "workplace:scopingFilters[0].clauses[0]: source attribute 'departmnt'" in out
    assert "did you mean 'department'" in out
    assert "Traceback" not in out
    assert emulator.stats()["total"] == 0


def test_one_attribute_changed_for_too_many_accounts_stops_before_any_write(
    workplace_project, emulator, tmp_path
):
    project = workplace_project(ROOT_PROGRAM)
    configure(project, tmp_path, directory())
    project.config_set("workplace:updateThreshold", "2")
    project.up()
    assert len(emulator.users()) == ASSIGNED

    # A broken mapping would give everyone the same title: 4 changes, more than 2.
    configure(project, tmp_path, directory(), mappings=[{"target": "title", "constant": "Oops"}])
    emulator.reset_stats()
    for run in (project.preview, project.up):
        result = run(check=False)
        out = _output(result)
        assert result.returncode != 0, out[-2000:]
        assert "title would change for 4 accounts (more than 2, workplace:updateThreshold)" in out
        assert "WORKPLACE_ALLOW_UPDATES=4" in out
        assert emulator.stats()["writes"] == 0
    assert all(u.get("title") != "Oops" for u in emulator.users())

    # Approved for one run: exactly the four updates.
    project.env["WORKPLACE_ALLOW_UPDATES"] = "4"
    project.up()
    assert emulator.stats()["by_method_kind"]["PATCH user"] == ASSIGNED
    assert all(u["title"] == "Oops" for u in emulator.users())


def test_emptying_a_value_for_more_than_a_tenth_stops_before_any_write(
    workplace_project, emulator, tmp_path
):
    project = workplace_project(ROOT_PROGRAM)
    configure(project, tmp_path, directory())
    project.up()
    configure(project, tmp_path, directory(), mappings=[{"target": "department", "constant": ""}])
    emulator.reset_stats()
    result = project.preview(check=False)
    out = _output(result)
    assert result.returncode != 0
    assert "department would become empty for 4 of 4 accounts (more than 10%)" in out, out[-2000:]
    assert emulator.stats()["writes"] == 0


def test_invalid_people_fail_the_run_or_are_skipped_and_left_untouched(
    workplace_project, emulator, tmp_path
):
    project = workplace_project(ROOT_PROGRAM)
    configure(project, tmp_path, directory())
    project.up()
    kai_before = next(u for u in emulator.users() if u["userName"] == "kai@contoso.com")

    # Kai's e-mail becomes invalid and Lena changes department.
    broken = directory(dept_of_lena="Marketing")
    kai = next(p for p in broken["people"] if p["userPrincipalName"] == "kai@contoso.com")
    kai["mail"] = "kai at contoso"
    kai["jobTitle"] = "Lead"
    configure(project, tmp_path, broken)
    emulator.reset_stats()
    result = project.preview(check=False)
    out = _output(result)
    assert result.returncode != 0 and "kai@contoso.com" in out and "workEmail" in out
    assert emulator.stats()["writes"] == 0

    project.config_set("workplace:invalidPeople", "skip")
    result = project.up()
    out = _output(result)
    assert "1 person(s) left untouched" in out and "kai@contoso.com" in out, out[-2000:]
    assert emulator.stats()["writes"] == 1  # Lena's department only
    kai_after = next(u for u in emulator.users() if u["userName"] == "kai@contoso.com")
    assert kai_after == kai_before  # not updated, not deactivated
    lena = next(u for u in emulator.users() if u["userName"] == "lena@contoso.com")
    assert lena["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"] == (
        "Marketing"
    )
