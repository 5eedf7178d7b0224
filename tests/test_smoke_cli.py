"""The real Pulumi CLI, the Python language host and the dynamic provider plugin work together."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.cli, pytest.mark.smoke]

PROGRAM = """
import pulumi
from pulumi_workplace.testing import Echo

echo = Echo("greeting", value="{value}")
pulumi.export("value", echo.value)
"""


def test_preview_up_noop_update_destroy(pulumi_project):
    project = pulumi_project(PROGRAM.format(value="hello"))

    preview = project.preview()
    assert "pulumi-python:dynamic/testing:Echo" in preview.stdout
    assert "+ 2 to create" in preview.stdout
    assert project.resources() == []  # a preview writes nothing

    up = project.up()
    assert "2 created" in up.stdout
    assert project.outputs() == {"value": "hello"}
    echoes = project.resources("testing:Echo")
    assert len(echoes) == 1
    assert echoes[0]["outputs"]["value"] == "hello"
    # The provider is serialised by reference to the installed package: small and no secret.
    serialized = echoes[0]["inputs"]["__provider"]
    assert isinstance(serialized, str) and len(serialized) < 400

    again = project.up("--expect-no-changes")
    assert "2 unchanged" in again.stdout

    project.write_program(PROGRAM.format(value="changed"))
    changed = project.preview()
    assert "~ 1 to update" in changed.stdout
    project.up()
    assert project.outputs() == {"value": "changed"}

    destroyed = project.destroy()
    assert "2 deleted" in destroyed.stdout
    assert project.resources() == []


def test_program_error_fails_preview_with_the_message(pulumi_project):
    project = pulumi_project("raise ValueError('bad input in row 7')\n")
    result = project.preview(check=False)
    assert result.returncode != 0
    assert "bad input in row 7" in result.stdout + result.stderr
