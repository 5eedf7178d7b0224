"""Stop the provider process when the Pulumi engine that started it is gone.

The SDK's dynamic provider server never notices a killed CLI: it runs in a process group of its
own and would finish in-flight writes and then wait forever. A killed run must stop writing.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
import time

_ADDRESS = re.compile(r"^(?:127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$")
_started = False
_lock = threading.Lock()


def engine_address(argv: list[str]) -> tuple[str, int] | None:
    """The engine's loopback address among the plugin's arguments (the last one that fits)."""
    for arg in reversed(argv[1:]):
        if _ADDRESS.match(arg):
            host, _, port = arg.rpartition(":")
            return host.strip("[]"), int(port)
    return None


def _engine_alive(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=2):
            return True
    except OSError:
        return False


def _grandparent() -> int | None:
    """The parent of our parent (the engine: the plugin script runs us as its child)."""
    try:
        with open(f"/proc/{os.getppid()}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _watch(address: tuple[str, int], interval: float, misses_allowed: int) -> None:
    misses = 0
    engine = _grandparent()
    while True:
        time.sleep(interval)
        # The engine died if our ancestors were re-parented or its RPC port stopped answering.
        orphaned = engine is not None and _grandparent() != engine
        misses = 0 if _engine_alive(address) and not orphaned else misses + 1
        if misses > misses_allowed:
            # No message: stderr is a pipe to the dead engine and writing to it could fail.
            os._exit(70)


def start(interval: float = 1.0, misses_allowed: int = 2) -> None:
    """Start the watchdog once per process (no-op when no engine address is found)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    address = engine_address(sys.argv)
    if address is None:
        return
    threading.Thread(
        target=_watch, args=(address, interval, misses_allowed), name="engine-watchdog", daemon=True
    ).start()
