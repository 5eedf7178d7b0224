"""Fixtures for the SCIM client tests: emulator servers on loopback and clients for them."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from scim_helpers import FAST, TOKEN

from loopback_tls import TlsProxy, untrusted_server_context
from pulumi_workplace.scim import ScimClient

ServerFactory = Callable[..., Any]
ClientFactory = Callable[..., ScimClient]


@pytest.fixture
def emulator_token() -> str:
    """The client tests' token (see the root conftest's `make_emulator`)."""
    return TOKEN


@pytest.fixture
def make_server(make_emulator: ServerFactory) -> ServerFactory:
    """Factory: `make_server(**EmulatorConfig fields)` -> a started emulator, stopped after."""
    return make_emulator


@pytest.fixture
def server(make_server: ServerFactory) -> Any:
    """A fault-free emulator with default Workplace behaviour."""
    return make_server()


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    """Factory: `make_client(url, **ScimClient options)` with fast retries; closed at teardown."""
    clients: list[ScimClient] = []

    def make(url: str, token: str = TOKEN, **options: Any) -> ScimClient:
        client = ScimClient(url, token, **{**FAST, **options})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(server: Any, make_client: ClientFactory) -> ScimClient:
    """A client for the fault-free emulator."""
    return make_client(server.url)


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def tls_url(server: Any) -> Iterator[str]:
    """An https:// URL for the fault-free emulator, behind a certificate nobody trusts."""
    proxy = TlsProxy(server.port, untrusted_server_context())
    yield proxy.url
    proxy.close()
