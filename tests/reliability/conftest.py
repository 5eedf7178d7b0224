"""Fixtures of the reliability and security tests (real Pulumi CLI, emulator over loopback).

They build on the root fixtures: `pulumi_project` gives an offline project with its own file
backend and PULUMI_HOME under tmp_path. Each test starts its own emulator (fault rates,
latency) with the distinctive token of reliability_helpers.TOKEN.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import TOKEN, USERS_PROGRAM, write_specs

from pulumi_harness import PulumiProject
from pulumi_workplace.emulator import EmulatorConfig, EmulatorServer

EmulatorFactory = Callable[..., EmulatorServer]


@pytest.fixture
def make_emulator(tmp_path: Path) -> Iterator[EmulatorFactory]:
    """Factory: `make_emulator(**EmulatorConfig fields)` -> a started emulator on loopback.

    The data file lives under tmp_path (one per emulator); all are stopped at teardown.
    """
    started: list[EmulatorServer] = []

    def make(**fields: Any) -> EmulatorServer:
        fields.setdefault("token", TOKEN)
        fields.setdefault("data_file", str(tmp_path / f"workplace-{len(started)}.jsonl"))
        server = EmulatorServer(EmulatorConfig(**fields), port=0)
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def wp_project(pulumi_project) -> Callable[..., PulumiProject]:
    """Factory: `wp_project(emulator, program=USERS_PROGRAM, specs=None, token=TOKEN)`.

    A project whose stack config points at `emulator` (token as a Pulumi secret); `specs`
    (keyword arguments of `User`, plus `name`) are written to users.json for USERS_PROGRAM.
    """

    def make(
        emulator: EmulatorServer | None,
        *,
        program: str = USERS_PROGRAM,
        specs: list[dict[str, Any]] | None = None,
        token: str | None = TOKEN,
        tenant_url: str | None = None,
    ) -> PulumiProject:
        project: PulumiProject = pulumi_project(program)
        url = tenant_url or (emulator.url if emulator is not None else None)
        if url is not None:
            project.config_set("workplace:tenantUrl", url)
        if token is not None:
            project.config_set("workplace:token", token, secret=True)
        write_specs(project, specs or [])
        return project

    return make
