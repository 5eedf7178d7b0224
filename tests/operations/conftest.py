"""Fixtures for the operations tests: real SMTP servers, a webhook receiver, a test CA."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from operations_helpers import (
    SMTP_PASSWORD,
    SMTP_USER,
    Collector,
    SmtpFactory,
    SmtpServer,
    WebhookReceiver,
    free_port,
)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """A throw-away certificate authority."""
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test CA's certificate as a PEM file, for `ca_file` settings."""
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def _server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def make_smtp(ca: trustme.CA) -> Iterator[SmtpFactory]:
    """Factory: `make_smtp(mode="plain"|"starttls"|"tls", auth=False)` -> a started server."""
    controllers: list[Controller] = []

    def make(mode: str = "plain", *, auth: bool = False, untrusted: bool = False) -> SmtpServer:
        server = SmtpServer("127.0.0.1", free_port())
        context = _server_context(trustme.CA() if untrusted else ca)
        options: dict[str, Any] = {}
        if mode == "starttls":
            options.update(tls_context=context, require_starttls=True)
        elif mode == "tls":
            options.update(ssl_context=context)
        if auth:

            def authenticator(
                smtp: Any, session: Any, envelope: Any, mechanism: str, data: Any
            ) -> AuthResult:
                assert isinstance(data, LoginPassword)
                server.logins.append(data.login.decode())
                good = data.login.decode() == SMTP_USER and data.password.decode() == SMTP_PASSWORD
                return AuthResult(success=good, handled=False)

            options.update(
                authenticator=authenticator,
                auth_required=True,
                auth_require_tls=mode != "plain",
            )
        controller = Controller(
            Collector(server), hostname=server.host, port=server.port, **options
        )
        controller.start()
        controllers.append(controller)
        return server

    yield make
    for controller in controllers:
        controller.stop()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    """A webhook receiver on a free loopback port."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    return free_port()
