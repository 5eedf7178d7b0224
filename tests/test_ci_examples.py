"""The shipped CI workflows: valid YAML, and every `pulumi-workplace` command they run is one
the CLI accepts (so a renamed flag breaks this test, not a user's pipeline)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from pulumi_workplace.cli import _build_parser

FOLDER = Path(__file__).parents[1] / "examples" / "ci-github-actions"
WORKFLOWS = sorted(FOLDER.glob("*.yml"))


def _commands(workflow: Path) -> list[list[str]]:
    """Each `pulumi-workplace ...` command line, variables replaced by a placeholder value
    (`$changed`, which is empty or `--changed`, by `--changed`)."""
    found = []
    for line in workflow.read_text().splitlines():
        match = re.search(r"pulumi-workplace ([^)|>]+)", line)
        if match is None or line.lstrip().startswith("#"):
            continue
        text = match.group(1).replace("$changed", "--changed")
        text = re.sub(r"\$\{\{[^}]*\}\}|\$[A-Za-z_]+", "x", text)
        found.append(shlex.split(text))
    return found


def test_there_is_a_sharded_workflow() -> None:
    assert {w.name for w in WORKFLOWS} >= {"workplace-provisioning.yml", "workplace-shards.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_workflow_commands_parse(workflow: Path) -> None:
    document = yaml.safe_load(workflow.read_text())
    assert document["jobs"], workflow
    commands = _commands(workflow)
    assert commands, f"{workflow.name} runs no pulumi-workplace command"
    parser = _build_parser()
    for argv in commands:
        parser.parse_args(argv)  # SystemExit on an unknown command or flag


def test_the_shards_workflow() -> None:
    document = yaml.safe_load((FOLDER / "workplace-shards.yml").read_text())
    shard = document["jobs"]["shard"]
    assert "matrix.stack" in shard["concurrency"]["group"]  # one group per stack
    assert "fromJSON(needs.plan.outputs.matrix)" in str(shard["strategy"]["matrix"])
    commands = _commands(FOLDER / "workplace-shards.yml")
    assert ["shards", "--stack", "x", "--changed", "--format", "matrix"] in commands
