"""A counting reverse proxy on loopback, for servers the tests cannot instrument.

It forwards every request unchanged (method, path and query as received, headers, body) to one
upstream origin and relays the upstream's status, headers and body unchanged, except the hop-by-hop
headers of RFC 9110 §7.6.1, which belong to each connection. `Host` is forwarded as the client sent
it, so a server that builds `meta.location` from it points the client back at the proxy. Both sides
keep connections alive: the client's (HTTP/1.1) and the upstream's (one shared `httpx.Client`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# A response to these carries no body, and no Content-Length of its own (RFC 9110 §8.6).
_NO_BODY_STATUSES = frozenset({204, 304})


def _connection_tokens(value: str | None) -> set[str]:
    return {token.strip().lower() for token in (value or "").split(",") if token.strip()}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: CountingProxy

    def __init__(self, proxy: CountingProxy) -> None:
        self.proxy = proxy
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        """End idle keep-alive connections, so their handler threads finish too."""
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: headers and body leave in separate writes, and on a kept-alive connection
    # Nagle's algorithm would hold the body back for the client's delayed ACK (~40 ms a request).
    disable_nagle_algorithm = True
    # An idle client connection is closed after this many seconds.
    timeout = 120
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the upstream logs what it serves; the proxy stays quiet

    def _read_body(self) -> bytes:
        if "chunked" in _connection_tokens(self.headers.get("Transfer-Encoding")):
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailer fields: dropped, like every hop-by-hop part
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _forward(self) -> None:
        proxy = self.server.proxy
        proxy._count(self.command)
        body = self._read_body()
        dropped = HOP_BY_HOP | {"content-length"} | _connection_tokens(self.headers["Connection"])
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in dropped]
        try:
            request = proxy._client.build_request(
                self.command, proxy.upstream + self.path, headers=headers, content=body
            )
            response = proxy._client.send(request, stream=True)
            try:
                # Raw bytes: a compressed body stays compressed, as its headers say.
                payload = b"".join(response.iter_raw())
            finally:
                response.close()
        except httpx.HTTPError as exc:
            self._send(502, "Bad Gateway", [("Content-Type", "text/plain")], str(exc).encode())
            return
        dropped = (
            HOP_BY_HOP | {"content-length"} | _connection_tokens(response.headers.get("Connection"))
        )
        out = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in response.headers.raw
            if k.decode("latin-1").lower() not in dropped
        ]
        self._send(response.status_code, response.reason_phrase, out, payload)

    def _send(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
        # send_response_only: no Server/Date of the proxy's own; the upstream's pass through.
        self.send_response_only(status, reason)
        for key, value in headers:
            self.send_header(key, value)
        if status not in _NO_BODY_STATUSES and not 100 <= status < 200:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status not in _NO_BODY_STATUSES:
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward


class CountingProxy:
    """A threaded loopback reverse proxy to `upstream` that counts requests per HTTP method.

    `upstream` is an origin such as ``http://127.0.0.1:8080``; the proxy's own origin is `.url`.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stopped = False
        # trust_env=False: no HTTP(S)_PROXY variable may divert loopback traffic.
        self._client = httpx.Client(timeout=60.0, follow_redirects=False, trust_env=False)
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"counting-proxy:{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The proxy's origin, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def _count(self, method: str) -> None:
        with self._lock:
            self._counts[method] += 1

    def counts(self) -> dict[str, int]:
        """Requests forwarded so far, per method (GET, POST, PUT, PATCH, DELETE always present)."""
        with self._lock:
            return {**dict.fromkeys(METHODS, 0), **self._counts}

    def writes(self) -> int:
        """POST + PUT + PATCH + DELETE requests forwarded so far."""
        counts = self.counts()
        return sum(counts[method] for method in WRITE_METHODS)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def stop(self) -> None:
        """Stop serving and close every connection; calling it again does nothing."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.close_open_connections()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._client.close()
