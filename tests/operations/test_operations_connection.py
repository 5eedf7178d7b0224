"""`pulumi-workplace test-connection` against the emulator: one exit code per failure kind."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_workplace.cli import main
from pulumi_workplace.emulator import EmulatorConfig, EmulatorServer
from pulumi_workplace.operations import check_connection, load_stack_config

TOKEN = "t" * 12
WRONG = "wrong-token-5c0e1f7a"


@pytest.fixture
def emulator() -> Iterator[Any]:
    with EmulatorServer(EmulatorConfig(token=TOKEN, permission_denied=False), port=0) as server:
        yield server


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A clean environment: no connection settings from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("WORKPLACE_"):
            monkeypatch.delenv(name)
    return monkeypatch


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["test-connection", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_ok_prints_url_patch_users_and_time(
    emulator: Any, env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("WORKPLACE_TENANT_URL", emulator.url)
    env.setenv("WORKPLACE_TOKEN", TOKEN)
    code, out, err = _run(capsys)
    assert code == 0, err
    assert out.splitlines()[0] == f"Connected to {emulator.url}"
    assert "PATCH        supported" in out
    assert "users        readable, 0 accounts" in out
    assert "elapsed" in out and " ms" in out
    assert TOKEN not in out + err


def test_bad_token_exits_3(
    emulator: Any, env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("WORKPLACE_TENANT_URL", emulator.url)
    env.setenv("WORKPLACE_TOKEN", WRONG)
    code, out, err = _run(capsys)
    assert code == 3 and out == ""
    assert "The token was rejected" in err and "workplace:token" in err
    assert WRONG not in err


def test_missing_permission_exits_4(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with EmulatorServer(EmulatorConfig(token=TOKEN, permission_denied=True), port=0) as server:
        env.setenv("WORKPLACE_TENANT_URL", server.url)
        env.setenv("WORKPLACE_TOKEN", TOKEN)
        code, _, err = _run(capsys)
    assert code == 4
    assert '"Manage Accounts" permission' in err and "(403)" in err
    assert TOKEN not in err


def test_closed_port_exits_5(
    closed_port: int, env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("WORKPLACE_TOKEN", TOKEN)
    code, _, err = _run(capsys, "--tenant-url", f"http://127.0.0.1:{closed_port}/")
    assert code == 5
    assert err.startswith(f"Cannot reach 127.0.0.1:{closed_port}")


def test_https_to_a_plain_http_port_exits_6(
    emulator: Any, env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("WORKPLACE_TOKEN", TOKEN)
    code, _, err = _run(capsys, "--tenant-url", emulator.url.replace("http://", "https://"))
    assert code == 6
    assert err.startswith("TLS handshake with 127.0.0.1:") and "scheme and port" in err


def test_plain_http_to_a_remote_host_is_refused_before_any_request(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("WORKPLACE_TOKEN", TOKEN)
    # Refused in the client's constructor: no DNS lookup, no connection.
    code, _, err = _run(capsys, "--tenant-url", "http://scim.example.invalid/")
    assert code == 2
    assert "Refusing to send the token over plain http:// to scim.example.invalid" in err


def test_missing_token_exits_2(env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--tenant-url", "http://127.0.0.1:9/")
    assert code == 2 and out == ""
    assert "WORKPLACE_TOKEN" in err


def test_stack_config_file_with_encrypted_token(
    emulator: Any, env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text(
        "config:\n"
        f"  workplace:tenantUrl: {emulator.url}\n"
        "  workplace:token:\n"
        "    secure: v1:AAAABBBBCCCC\n"
        "  workplace:roles: [Employee]\n"
    )
    assert load_stack_config(stack).encrypted == ["workplace:token"]
    code, _, err = _run(capsys, "--stack-config", str(stack))
    assert code == 2
    assert "encrypted" in err and "export WORKPLACE_TOKEN" in err
    # With the token in the environment, the URL still comes from the file.
    env.setenv("WORKPLACE_TOKEN", TOKEN)
    code, out, _ = _run(capsys, "--stack-config", str(stack))
    assert code == 0 and emulator.url in out


def test_check_connection_api_reports_the_kind(emulator: Any) -> None:
    outcome = check_connection({"workplace:tenantUrl": emulator.url}, {"WORKPLACE_TOKEN": WRONG})
    assert (outcome.ok, outcome.kind, outcome.exit_code) == (False, "auth", 3)
    good = check_connection({"workplace:tenantUrl": emulator.url}, {"WORKPLACE_TOKEN": TOKEN})
    assert good.ok and good.report is not None and good.report.supports_patch is True


def test_console_script_exit_code_and_no_token_on_screen(emulator: Any) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WORKPLACE_")} | {
        "WORKPLACE_TENANT_URL": emulator.url,
        "WORKPLACE_TOKEN": WRONG,
    }
    result = subprocess.run(
        [sys.executable, "-m", "pulumi_workplace.cli", "test-connection"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    assert WRONG not in result.stdout + result.stderr
