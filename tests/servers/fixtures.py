"""Pytest fixtures for the independent SCIM servers of tests/servers/.

Register them for the whole suite with one line in tests/conftest.py:

    pytest_plugins = ["servers.fixtures"]

Each fixture starts its server (a subprocess behind a counting proxy, about a second) for one
test and stops it at teardown. The servers accept the bearer token `server.token`
(`INDEPENDENT_SERVER_TOKEN`, or the `independent_server_token` fixture overridden in a test folder).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from . import (
    INDEPENDENT_SERVER_TOKEN,
    IndependentServer,
    start_scim2_server,
    start_scimmy,
)

QUIRKS = ("drop-email-type", "empty-external-id", "derive-names", "drop-addresses", "no-patch")
"""Behaviours of SCIM servers seen in the field (issue #14), switched on in SCIMMY together."""

STARTERS: dict[str, Callable[[str], IndependentServer]] = {
    "scimmy": start_scimmy,
    "scimmy-quirks": lambda token: start_scimmy(token, QUIRKS),
    "scim2-server": start_scim2_server,
}


@pytest.fixture
def independent_server_token() -> str:
    """The bearer token the independent servers accept; test folders may override it."""
    return INDEPENDENT_SERVER_TOKEN


@pytest.fixture
def scimmy_server(independent_server_token: str) -> Iterator[IndependentServer]:
    """The SCIMMY server (npm scimmy + scimmy-routers), empty, on a free loopback port."""
    server = start_scimmy(independent_server_token)
    yield server
    server.stop()


@pytest.fixture
def scim2_server(independent_server_token: str) -> Iterator[IndependentServer]:
    """scim2-server's own stand-alone test server (PyPI), empty, on a free loopback port."""
    server = start_scim2_server(independent_server_token)
    yield server
    server.stop()


@pytest.fixture(params=sorted(STARTERS))
def independent_server(
    request: pytest.FixtureRequest, independent_server_token: str
) -> Iterator[IndependentServer]:
    """Each independent server in turn: a test using it runs once per server."""
    server = STARTERS[request.param](independent_server_token)
    yield server
    server.stop()
