"""Fixtures for the SCIM client tests: emulator servers on loopback and clients for them."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from scim_helpers import FAST, TOKEN

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


class _TlsProxy:
    """TLS termination on a loopback port, forwarding the plain bytes to another port."""

    def __init__(self, target_port: int, certfile: str, keyfile: str) -> None:
        self._target = target_port
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(certfile, keyfile)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # listener closed
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            tls = self._context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()  # e.g. the client refused the certificate
            return
        upstream = socket.create_connection(("127.0.0.1", self._target))
        threading.Thread(target=_pump, args=(upstream, tls), daemon=True).start()
        _pump(tls, upstream)

    def close(self) -> None:
        self._listener.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.close()


@pytest.fixture
def tls_url(server: Any, tmp_path: Path) -> Iterator[str]:
    """An https:// URL for the fault-free emulator, behind a self-signed certificate."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl CLI not available to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    proxy = _TlsProxy(server.port, str(cert), str(key))
    yield f"https://127.0.0.1:{proxy.port}/"
    proxy.close()
