"""Independent SCIM 2.0 servers, written by others, for the provider to provision against.

Neither is this project's emulator, and no project code runs in them:

- SCIMMY (`start_scimmy`): the npm packages `scimmy` + `scimmy-routers` on Express, with the small
  in-memory glue of `tests/servers/scimmy/server.js`. `make setup` installs its npm packages.
- scim2-server (`start_scim2_server`): the PyPI package's own stand-alone test server
  (`python -m scim2_server.testserver.cli`, the `scim2-server` console script) with its default
  RFC 7643 schemas and resource types and its in-memory storage, served under `/v2/`.

Both check the bearer token: SCIMMY's through the authentication handler of scimmy-routers, on
every SCIM endpoint; scim2-server's through its `--bearer-token` option, on every endpoint except
`/ServiceProviderConfig`, which it serves without authentication (RFC 7643 §5).

Each server runs as a subprocess on a free loopback port behind a `CountingProxy`, so the tests
count the requests of both the same way. `IndependentServer.url` is the base URL a SCIM client
uses (the proxy's, ending with `/`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import IO, NoReturn

import httpx

from .proxy import CountingProxy

__all__ = [
    "INDEPENDENT_SERVER_TOKEN",
    "SCIMMY_DIR",
    "CountingProxy",
    "IndependentServer",
    "ServerStartError",
    "start_scim2_server",
    "start_scimmy",
]

SCIMMY_DIR = Path(__file__).resolve().parent / "scimmy"
INDEPENDENT_SERVER_TOKEN = "independent-scim-token-5e2b91"
"""The bearer token of the fixtures' independent servers (tests/servers/fixtures.py)."""
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
_LISTENING = re.compile(r"^listening on (http://127\.0\.0\.1:(\d+)/)\s*$")
# Every server still running when the interpreter exits is stopped then: no orphans even when a
# test forgets its teardown.
_RUNNING: weakref.WeakSet[IndependentServer] = weakref.WeakSet()


class ServerStartError(RuntimeError):
    """An independent server could not be started (missing set-up, early exit, time-out)."""


class IndependentServer:
    """A running independent SCIM server (subprocess) behind a counting proxy."""

    def __init__(
        self,
        name: str,
        process: subprocess.Popen[bytes],
        upstream: str,
        base_path: str,
        token: str,
        log: IO[bytes],
        startup_seconds: float,
    ) -> None:
        self.name = name
        self.process = process
        self.upstream = upstream
        """The server's own origin, bypassing the proxy (requests there are not counted)."""
        self.token = token
        self.startup_seconds = startup_seconds
        self._log = log
        try:
            self.proxy = CountingProxy(upstream)
        except BaseException:
            _terminate(process)
            log.close()
            raise
        self.url = f"{self.proxy.url}{base_path}"
        """The SCIM base URL a client uses: through the proxy, ending with `/`."""
        _RUNNING.add(self)

    def __repr__(self) -> str:
        return f"<IndependentServer {self.name} {self.url} pid={self.process.pid}>"

    def counts(self) -> dict[str, int]:
        """Requests per method (GET, POST, PUT, PATCH, DELETE) since start or the last reset."""
        return self.proxy.counts()

    def writes(self) -> int:
        """POST + PUT + PATCH + DELETE requests since start or the last reset."""
        return self.proxy.writes()

    def reset_counts(self) -> None:
        self.proxy.reset()

    def output(self) -> str:
        """What the server has written to stderr (and scim2-server to stdout) so far."""
        return _read_log(self._log)

    def stop(self) -> None:
        """Stop the proxy, then the server: SIGTERM, then SIGKILL after a grace period.

        Calling it again does nothing."""
        _RUNNING.discard(self)
        self.proxy.stop()
        _terminate(self.process)
        self._log.close()

    def __enter__(self) -> IndependentServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop()


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
    for stream in (process.stdout, process.stdin):
        if stream is not None:
            stream.close()


def _read_log(log: IO[bytes]) -> str:
    if log.closed:
        return ""
    log.flush()
    with open(log.name, "rb") as f:
        return f.read().decode("utf-8", "replace")


def _fail(name: str, reason: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> NoReturn:
    _terminate(process)
    output = _read_log(log).strip()[-4000:]
    log.close()
    raise ServerStartError(
        f"{name} did not start: {reason} (exit code {process.returncode})\n"
        f"--- its output ---\n{output or '(none)'}"
    )


def _wait_until_answering(
    name: str,
    process: subprocess.Popen[bytes],
    log: IO[bytes],
    url: str,
    token: str,
    deadline: float,
) -> None:
    """Poll `url` (the server's ServiceProviderConfig) until it answers 200."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
    last = "no answer yet"
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                _fail(name, "it exited", process, log)
            try:
                response = client.get(url, headers=headers)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code} from {url}"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__} on {url}"
            time.sleep(0.05)
    _fail(name, f"no answer within {START_TIMEOUT:.0f} s ({last})", process, log)


def _new_log(name: str) -> IO[bytes]:
    # A file, not a pipe: a chatty server can never block on a full pipe nobody reads.
    return tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log")


def start_scimmy(token: str, quirks: tuple[str, ...] = ()) -> IndependentServer:
    """Start the SCIMMY server of tests/servers/scimmy on a free loopback port.

    `quirks` switch on behaviours seen on other servers in the field (server.js lists them).
    """
    node = shutil.which("node")
    if node is None:
        raise ServerStartError("SCIMMY server: Node.js (`node`) is not on PATH; run `make setup`")
    if not (SCIMMY_DIR / "node_modules" / "scimmy-routers").is_dir():
        raise ServerStartError(
            f"SCIMMY server: its npm packages are not installed in {SCIMMY_DIR / 'node_modules'};"
            " run `make setup`"
        )
    started = time.monotonic()
    deadline = started + START_TIMEOUT
    log = _new_log("scimmy")
    env = {
        **os.environ,
        "SCIMMY_TOKEN": token,
        "PORT": "0",
        "NODE_ENV": "production",
        "SCIMMY_QUIRKS": ",".join(quirks),
    }
    process = subprocess.Popen(
        [node, str(SCIMMY_DIR / "server.js")],
        cwd=SCIMMY_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
    )
    # The server prints its address as its first line; a thread reads it (and drains the rest).
    lines: queue.Queue[str] = queue.Queue()

    def read_stdout() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            lines.put(raw.decode("utf-8", "replace"))

    threading.Thread(target=read_stdout, name="scimmy-stdout", daemon=True).start()
    upstream = None
    while upstream is None:
        if time.monotonic() >= deadline:
            _fail("SCIMMY server", f"no address printed within {START_TIMEOUT:.0f} s", process, log)
        try:
            line = lines.get(timeout=0.05)
        except queue.Empty:
            if process.poll() is not None:
                _fail("SCIMMY server", "it exited", process, log)
            continue
        match = _LISTENING.match(line)
        if match is None:
            _fail("SCIMMY server", f"unexpected first line {line!r}", process, log)
        else:
            upstream = match.group(1).rstrip("/")
    _wait_until_answering(
        "SCIMMY server", process, log, f"{upstream}/ServiceProviderConfig", token, deadline
    )
    name = "scimmy" + ("-quirks" if quirks else "")
    return IndependentServer(name, process, upstream, "/", token, log, time.monotonic() - started)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_scim2_server(token: str) -> IndependentServer:
    """Start scim2-server's own stand-alone test server on a free loopback port.

    Its CLI needs a port number (it cannot report a port the OS picked), so a free one is chosen
    here; if another process takes it first, the server exits and is started again on another.
    """
    started = time.monotonic()
    deadline = started + START_TIMEOUT
    for attempt in range(3):
        port = _free_port()
        upstream = f"http://127.0.0.1:{port}"
        log = _new_log("scim2-server")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scim2_server.testserver.cli",
                "--hostname",
                "127.0.0.1",
                "--port",
                str(port),
                "--bearer-token",
                token,
            ],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_answering(
                "scim2-server",
                process,
                log,
                f"{upstream}/v2/ServiceProviderConfig",
                token,
                deadline,
            )
        except ServerStartError as exc:
            if attempt < 2 and "Address already in use" in str(exc):
                continue
            raise
        return IndependentServer(
            "scim2-server", process, upstream, "/v2/", token, log, time.monotonic() - started
        )
    raise AssertionError("unreachable")
