"""Fixtures of the emulator tests: servers on free loopback ports and httpx clients for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from emulator_helpers import AUTH, TOKEN

from pulumi_workplace.emulator import EmulatorServer

ServerFactory = Callable[..., EmulatorServer]
ClientFactory = Callable[..., httpx.Client]


@pytest.fixture
def emulator_token() -> str:
    """The emulator tests' token (see the root conftest's `make_emulator`)."""
    return TOKEN


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """Factory: `make_client(server, headers=AUTH)` -> an httpx client on the server's URL."""
    clients: list[httpx.Client] = []

    def make(server: EmulatorServer, headers: dict[str, str] | None = None) -> httpx.Client:
        client = httpx.Client(
            base_url=server.url, headers=AUTH if headers is None else headers, timeout=10.0
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def server(make_emulator: ServerFactory) -> EmulatorServer:
    """An emulator with the default configuration."""
    return make_emulator()


@pytest.fixture
def api(server: EmulatorServer, make_client: ClientFactory) -> httpx.Client:
    """An authenticated client of the default emulator."""
    return make_client(server)
