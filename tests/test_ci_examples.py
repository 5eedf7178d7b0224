"""The shipped CI workflows: valid YAML, every `pulumi-workplace` command they run is one the CLI
accepts (so a renamed flag breaks this test, not a user's pipeline), every `pip install` installs
something that exists, and the release workflow publishes with PyPI trusted publishing."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from pulumi_workplace.cli import _build_parser

ROOT = Path(__file__).parents[1]
FOLDER = ROOT / "examples" / "ci-github-actions"
WORKFLOWS = sorted(FOLDER.glob("*.yml"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

PUBLISHED_ON_PYPI = False
"""Whether a release of pulumi-workplace is on PyPI. Until one is, a workflow that installs it from
the index (`pip install pulumi-workplace`) fails as copied; set this when the first release is
published, and the examples may then install `pulumi-workplace==X` (docs/releasing.md)."""


def _commands(workflow: Path) -> list[list[str]]:
    """Each `pulumi-workplace ...` command line, variables replaced by a placeholder value
    (`$changed`, which is empty or `--changed`, by `--changed`)."""
    found = []
    for line in workflow.read_text().splitlines():
        # The command, not the package's name in a requirement or a URL.
        match = re.search(r"(?:^|[\s/(])pulumi-workplace ([^)|>]+)", line)
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
        if argv == ["--version"]:
            with pytest.raises(SystemExit) as exited:  # prints the version and exits 0
                parser.parse_args(argv)
            assert exited.value.code == 0
            continue
        parser.parse_args(argv)  # SystemExit on an unknown command or flag


def test_the_shards_workflow() -> None:
    document = yaml.safe_load((FOLDER / "workplace-shards.yml").read_text())
    shard = document["jobs"]["shard"]
    assert "matrix.stack" in shard["concurrency"]["group"]  # one group per stack
    assert "fromJSON(needs.plan.outputs.matrix)" in str(shard["strategy"]["matrix"])
    commands = _commands(FOLDER / "workplace-shards.yml")
    assert ["shards", "--stack", "x", "--changed", "--format", "matrix"] in commands


# --- What the workflows install -------------------------------------------------------------


def _workflow(workflow: Path) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(workflow.read_text())
    return document


def _known_packages() -> set[str]:
    """The PyPI packages this project itself depends on (any extra): they exist."""
    project = PYPROJECT["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def _expand(word: str, env: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        assert name in env, f"{word}: ${name} is not set in the workflow"
        return env[name]

    return re.sub(r"\$\{\{\s*env\.(\w+)\s*\}\}|\$\{(\w+)\}|\$(\w+)", value, word)


def _installs(workflow: Path) -> list[tuple[str, list[str], str]]:
    """(job, the job's earlier steps, a word after `pip install` with the workflow's variables
    expanded), for every word of every `pip install` a step runs."""
    document = _workflow(workflow)
    found = []
    for job_name, job in document["jobs"].items():
        earlier: list[str] = []
        for step in job.get("steps", []):
            env = {**document.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            run = step.get("run", "")
            for command in re.split(r"&&|;|\n", run):
                words = shlex.split(command, comments=True)
                for i, word in enumerate(words[:-1]):
                    if word.endswith("pip") and words[i + 1] == "install":
                        found += [
                            (job_name, list(earlier), _expand(arg, env))
                            for arg in words[i + 2 :]
                            if not arg.startswith("-")
                        ]
            earlier.append(f"{step.get('uses', '')} {run}")
    return found


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_every_install_installs_something_that_exists(workflow: Path) -> None:
    source = PYPROJECT["project"]["urls"]["Source"]
    for job, earlier, arg in _installs(workflow):
        where = f"{workflow.name}, job {job}: pip install {arg}"
        if arg.startswith("dist/"):
            # A file of the same job: built by an earlier step, or downloaded from a job that did.
            assert arg.endswith(".whl"), where
            assert any("python -m build" in s or "download-artifact" in s for s in earlier), where
            continue
        try:
            requirement = Requirement(arg)
        except InvalidRequirement as error:  # a path, a nameless URL, ...
            raise AssertionError(f"{where}: not a requirement this test knows") from error
        if canonicalize_name(requirement.name) != "pulumi-workplace":
            assert canonicalize_name(requirement.name) in _known_packages(), where
            continue
        if requirement.url is None:
            # From the index: only once a release is there, and pinned.
            assert PUBLISHED_ON_PYPI, f"{where}: pulumi-workplace is not on PyPI yet"
            assert str(requirement.specifier).startswith("=="), where
            continue
        # From the package's repository at a release tag (vX.Y.Z, as docs/releasing.md tags).
        match = re.fullmatch(r"git\+(https://\S+?)@(v\S+)", requirement.url)
        assert match, f"{where}: expected git+{source}@vX.Y.Z"
        assert match.group(1) == source, where
        Version(match.group(2).removeprefix("v"))  # InvalidVersion if the tag is not a version


def test_the_provisioning_workflows_install_one_package_named_in_one_place() -> None:
    names = ("workplace-provisioning.yml", "workplace-shards.yml")
    packages = {arg for name in names for _, _, arg in _installs(FOLDER / name)}
    assert len(packages) == 1, packages
    (package,) = packages
    assert canonicalize_name(Requirement(package).name) == "pulumi-workplace"
    for name in names:
        document = _workflow(FOLDER / name)
        assert document["env"]["PULUMI_WORKPLACE_PACKAGE"] == package
        assert (FOLDER / name).read_text().count(package) == 1  # only there


def test_the_release_workflow_uses_trusted_publishing() -> None:
    text = (FOLDER / "release.yml").read_text()
    document = _workflow(FOLDER / "release.yml")
    on = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as true
    assert on == {"push": {"tags": ["v*"]}}
    build = document["jobs"]["build"]
    checkout = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # the tags the version comes from
    runs = "\n".join(s.get("run", "") for s in build["steps"])
    assert "python -m build" in runs
    assert "twine check --strict dist/*" in runs
    publishing = [
        job
        for job in document["jobs"].values()
        if any(s.get("uses", "").startswith("pypa/gh-action-pypi-publish@") for s in job["steps"])
    ]
    assert len(publishing) == 1
    (publish,) = publishing
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    assert publish["needs"] == "build"
    # Trusted publishing: no API token, neither as the action's password nor as a secret.
    step = next(s for s in publish["steps"] if s.get("uses", "").startswith("pypa/"))
    assert "password" not in step.get("with", {})
    assert "secrets." not in text
