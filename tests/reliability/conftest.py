"""Fixtures of the reliability and security tests (real Pulumi CLI, emulator over loopback).

They build on the root fixtures: `pulumi_project` gives an offline project with its own file
backend and PULUMI_HOME under tmp_path. Each test starts its own emulator (fault rates,
latency) with the distinctive token of reliability_helpers.TOKEN.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import TOKEN, USERS_PROGRAM, write_specs

from pulumi_harness import PulumiProject
from pulumi_workplace.emulator import EmulatorServer

EmulatorFactory = Callable[..., EmulatorServer]


@pytest.fixture
def emulator_token() -> str:
    """The root `make_emulator` hands out this folder's distinctive token."""
    return TOKEN


@pytest.fixture
def make_emulator(make_emulator: EmulatorFactory, tmp_path: Path) -> EmulatorFactory:
    """The root factory, with a data file under tmp_path for every emulator (one each)."""
    files = itertools.count()

    def make(**fields: Any) -> EmulatorServer:
        fields.setdefault("data_file", str(tmp_path / f"workplace-{next(files)}.jsonl"))
        server: EmulatorServer = make_emulator(**fields)
        return server

    return make


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
