"""Which Python language host the CLI runs programs with (README, "Language hosts and SDK
versions"), and that the official host treats this package as what it is."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from pulumi_harness import tools_bin

pytestmark = [pytest.mark.cli, pytest.mark.smoke]

OFFICIAL = os.environ.get("PULUMI_WORKPLACE_REQUIRE_OFFICIAL_HOST") == "1"


def _host() -> Path:
    return tools_bin() / "pulumi-language-python"


def _record() -> str:
    return (tools_bin() / ".language-host").read_text().strip()


def _about(pulumi_project) -> dict:
    project = pulumi_project("import pulumi\n")
    return json.loads(project.run("about", "--json").stdout)


def test_the_tool_folder_records_the_host_it_holds():
    kind, source, *digest = _record().split(" ")
    is_elf = _host().read_bytes()[:4] == b"\x7fELF"
    assert kind in ("official", "stand-in")
    assert is_elf is (kind == "official")
    if kind == "official":
        assert digest == [hashlib.sha256(_host().read_bytes()).hexdigest()]
        assert Path(source).is_file()


@pytest.mark.skipif(not OFFICIAL, reason="no official language host on this machine")
def test_ci_runs_pulumis_official_host(pulumi_project):
    given = Path(os.environ["PULUMI_LANGUAGE_PYTHON_HOST"])
    assert _record().startswith(f"official {given} ")
    assert _host().read_bytes() == given.read_bytes()
    plugins = {(p["kind"], p["name"]): p["version"] for p in _about(pulumi_project)["plugins"]}
    # The official host reports its release; the stand-in reports none.
    assert plugins[("language", "python")] == "3.259.0", plugins


def test_the_package_declares_no_resource_plugin(pulumi_project):
    # The official host takes every installed `pulumi-*` package for a provider plugin unless
    # its pulumi-plugin.json says otherwise; without it the CLI would look for (and try to
    # download) a `pulumi-resource-workplace` that does not exist.
    plugins = _about(pulumi_project)["plugins"]
    assert [p for p in plugins if p["kind"] == "resource"] == [], plugins
