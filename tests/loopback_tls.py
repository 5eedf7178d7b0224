"""HTTPS in front of a loopback server, for the tests of certificate checks."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading

import trustme


def untrusted_server_context() -> ssl.SSLContext:
    """A server context whose certificate comes from a throwaway CA that nobody trusts."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


class TlsProxy:
    """HTTPS on a loopback port, forwarded as plain TCP to another loopback port.

    `handshakes` counts completed TLS handshakes and `refused` the failed ones, so a test can
    tell that a client gave up before sending anything.
    """

    def __init__(self, target_port: int, context: ssl.SSLContext) -> None:
        self._target = target_port
        self._context = context
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.handshakes = 0
        self.refused = 0
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            secure = self._context.wrap_socket(connection, server_side=True)
        except (ssl.SSLError, OSError):
            self.refused += 1
            connection.close()
            return
        self.handshakes += 1
        upstream = socket.create_connection(("127.0.0.1", self._target))

        def pump(source: socket.socket, sink: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                for end in (source, sink):
                    with contextlib.suppress(OSError):
                        end.shutdown(socket.SHUT_RDWR)

        threading.Thread(target=pump, args=(upstream, secure), daemon=True).start()
        pump(secure, upstream)

    def close(self) -> None:
        self._closed.set()
        self._socket.close()
