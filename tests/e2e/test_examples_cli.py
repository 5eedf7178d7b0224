"""The examples run: each is copied next to the sample directory and applied to the emulator."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

from pulumi_harness import E2E_TOKEN as TOKEN
from pulumi_harness import PulumiProject, pulumi_env

pytestmark = pytest.mark.cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def copy_example(name: str, tmp_path: Path) -> Path:
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES / "directory", root / "directory")
    target = root / name
    shutil.copytree(EXAMPLES / name, target)
    project = yaml.safe_load((target / "Pulumi.yaml").read_text())
    project["runtime"]["options"]["virtualenv"] = sys.prefix
    (target / "Pulumi.yaml").write_text(yaml.safe_dump(project))
    return target


def open_project(workdir: Path, tmp_path: Path, emulator) -> PulumiProject:
    env = pulumi_env(tmp_path / "pulumi", {"WORKPLACE_TOKEN": TOKEN})
    project = PulumiProject(workdir=workdir, stack="dev", env=env)
    project.run("stack", "init", "dev")
    project.config_set("workplace:tenantUrl", emulator.url)
    return project


def test_custom_mappings_example(tmp_path, emulator):
    project = open_project(copy_example("custom-mappings", tmp_path), tmp_path, emulator)
    project.up()
    accounts = emulator.users()
    assert accounts, "the example provisioned nobody"
    for account in accounts:
        # Join(" ", [givenName], ToUpper([surname])) and the Seattle/Lisbon scoping filter.
        family = account["name"]["familyName"]
        assert account["displayName"].endswith(family.upper())
        city = account["addresses"][0]["locality"]
        assert city in ("Seattle", "Lisboa")
    assert project.outputs()["counts"]["provision"] == len(accounts)


def test_csv_quickstart_example(tmp_path, emulator):
    workdir = copy_example("csv-quickstart", tmp_path)
    project = open_project(workdir, tmp_path, emulator)
    example = yaml.safe_load((workdir / "Pulumi.dev.yaml.example").read_text())
    example["config"].pop("workplace:tenantUrl")
    project.config_set_objects(example["config"])
    preview = project.preview()
    assert "to create" in preview.stdout
    project.up()
    assert emulator.users()
    assert all(a.get("userName") for a in emulator.users())
