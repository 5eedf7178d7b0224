"""The engine watchdog (resources/_watchdog.py) in a real process: a program whose engine is
gone exits by itself, and one outside a Pulumi run is left alone."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

from pulumi_workplace.resources import _watchdog

PROGRAM = "import time, pulumi_workplace.resources._base; time.sleep(60)"


def test_program_address_comes_from_the_exec_scripts_engine_flag():
    argv = [
        "python",
        "-u",
        "/x/pulumi-language-python-exec",
        "--monitor",
        "127.0.0.1:40001",
        "--engine",
        "127.0.0.1:40002",
        "--project",
        "p",
        ".",
    ]
    assert _watchdog.program_engine_address(argv) == ("127.0.0.1", 40002)
    assert _watchdog.program_engine_address(["python", "--engine", "example.com:1"]) is None
    assert _watchdog.program_engine_address(["python", "-m", "pytest"]) is None


def test_a_program_exits_once_its_engine_is_gone():
    engine = socket.create_server(("127.0.0.1", 0))
    port = engine.getsockname()[1]
    program = subprocess.Popen(
        [sys.executable, "-c", PROGRAM, "--engine", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(4)  # the engine answers: the program goes on
        assert program.poll() is None, program.stderr.read() if program.stderr else ""
        engine.close()
        closed = time.monotonic()
        assert program.wait(15) == 70
        assert time.monotonic() - closed < 10
    finally:
        program.kill()
        engine.close()


def test_outside_a_pulumi_run_nothing_is_watched():
    program = subprocess.run(
        [sys.executable, "-c", PROGRAM.replace("60", "4")], capture_output=True, timeout=60
    )
    assert program.returncode == 0, program.stderr
