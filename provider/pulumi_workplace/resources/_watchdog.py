"""Stop this package's processes when the Pulumi engine that started them is gone.

Two processes run our code in a Pulumi run: the dynamic provider (`pulumi-resource-pulumi-python`,
which the engine starts with its own address as the last argument) and the program
(`pulumi-language-python-exec`, which the language host starts with `--engine ADDRESS`). Neither
notices a killed CLI on its own: the provider would finish in-flight writes and then wait forever,
and under Pulumi's Go language host the program outlives the CLI too (the host does not stop its
child). A killed run must stop writing, so each process watches the engine and exits.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import sys
import threading
import time

_ADDRESS = re.compile(r"^(?:127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$")
_THREAD = "engine-watchdog"
_starting = threading.Lock()  # a lock, not state: two threads must not both start a watchdog


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def engine_address(argv: list[str]) -> tuple[str, int] | None:
    """The engine's loopback address among the plugin's arguments (the last one that fits)."""
    for arg in reversed(argv[1:]):
        if _ADDRESS.match(arg):
            return _split(arg)
    return None


def program_engine_address(argv: list[str]) -> tuple[str, int] | None:
    """The `--engine ADDRESS` the language host passed to `pulumi-language-python-exec`."""
    for flag, value in itertools.pairwise(argv):
        if flag == "--engine" and _ADDRESS.match(value):
            return _split(value)
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


def start(
    interval: float = 1.0, misses_allowed: int = 2, *, address: tuple[str, int] | None = None
) -> None:
    """Start the watchdog once per process; by default it watches the address among the
    plugin's arguments (no-op when there is none)."""
    address = address or engine_address(sys.argv)
    if address is None:
        return
    with _starting:
        if any(thread.name == _THREAD for thread in threading.enumerate()):
            return
        threading.Thread(
            target=_watch, args=(address, interval, misses_allowed), name=_THREAD, daemon=True
        ).start()


def start_in_program() -> None:
    """Watch the engine from a Pulumi program (no-op outside one)."""
    # sys.argv was replaced by the exec script; the interpreter's own arguments still hold it.
    address = program_engine_address(list(getattr(sys, "orig_argv", [])))
    if address is not None:
        start(address=address)
