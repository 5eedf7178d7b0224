"""Shared fixtures: the Pulumi CLI and throw-away Pulumi projects."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_harness import E2E_TOKEN, PulumiProject, find_pulumi

# The independent SCIM servers (SCIMMY, scim2-server) started by tests: tests/servers/.
pytest_plugins = ["servers.fixtures"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # `make test` sets PULUMI_WORKPLACE_REQUIRE_CLI so a missing CLI fails instead of skipping.
    if find_pulumi() or os.environ.get("PULUMI_WORKPLACE_REQUIRE_CLI") == "1":
        return
    skip = pytest.mark.skip(reason="pulumi CLI not installed (run `make setup`)")
    for item in items:
        if "cli" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def pulumi_project(tmp_path: Path) -> Callable[..., PulumiProject]:
    """Factory: `pulumi_project(program_source, env={...})` -> an initialised project + stack."""

    def make(program: str, **kwargs: object) -> PulumiProject:
        return PulumiProject.create(tmp_path, program, **kwargs)  # type: ignore[arg-type]

    return make


TOKEN = E2E_TOKEN


@pytest.fixture
def emulator_token() -> str:
    """The bearer token `make_emulator` servers accept; test folders may override it."""
    return TOKEN


@pytest.fixture
def make_emulator(emulator_token: str) -> Iterator[Callable[..., Any]]:
    """Factory: `make_emulator(**EmulatorConfig fields)` -> a started emulator on a free
    loopback port (in memory unless `data_file` is given), stopped at teardown."""
    from pulumi_workplace.emulator import EmulatorConfig, EmulatorServer

    started: list[EmulatorServer] = []

    def make(**fields: Any) -> EmulatorServer:
        fields.setdefault("token", emulator_token)
        server = EmulatorServer(EmulatorConfig(**fields), port=0)
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def emulator(make_emulator: Callable[..., Any], tmp_path: Path) -> Any:
    """A Workplace emulator on a free loopback port, persisting under tmp_path."""
    return make_emulator(data_file=str(tmp_path / "workplace.jsonl"))


@pytest.fixture
def workplace_project(pulumi_project, emulator):
    """Factory: a Pulumi project whose stack config points at the emulator (token as a secret)."""

    def make(program: str, **kwargs: object) -> PulumiProject:
        project = pulumi_project(program, **kwargs)
        project.config_set("workplace:tenantUrl", emulator.url)
        project.config_set("workplace:token", TOKEN, secret=True)
        return project

    return make
