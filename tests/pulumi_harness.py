"""Run the real Pulumi CLI on throw-away projects, fully offline.

Each project gets its own file backend, PULUMI_HOME and passphrase in a temporary folder, and the
Python runtime points at the interpreter running the tests (the project's .venv).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_TOOLS_BIN = Path.home() / ".cache/pulumi-workplace/pulumi-v3.274.1/bin"
PASSPHRASE = "test-passphrase-not-secret"
E2E_TOKEN = "e2e-token-3c1f0d9a7b"
"""The token of the root fixtures' emulators; tests import it from here, never from conftest."""
# Variables that make the CLI try cloud sign-up flows or change its behaviour under AI agents.
_STRIPPED_ENV = (
    "PULUMI_ACCESS_TOKEN",
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "PULUMI_BACKEND_URL",
)


def tools_bin() -> Path:
    return Path(os.environ.get("PULUMI_WORKPLACE_TOOLS_BIN", DEFAULT_TOOLS_BIN))


def find_pulumi() -> str | None:
    candidate = tools_bin() / "pulumi"
    if candidate.exists():
        return str(candidate)
    return shutil.which("pulumi")


def pulumi_env(base: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for an offline Pulumi run whose state and home live under `base`."""
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED_ENV}
    (base / "state").mkdir(parents=True, exist_ok=True)
    (base / "home").mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "PATH": f"{tools_bin()}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
            + env.get("PATH", ""),
            "PULUMI_HOME": str(base / "home"),
            "PULUMI_BACKEND_URL": f"file://{base / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_PYTHON_CMD": sys.executable,
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "NO_COLOR": "1",
        }
    )
    env.update(extra or {})
    return env


@dataclass
class PulumiProject:
    """A Pulumi project folder with one stack, driven through the `pulumi` command line."""

    workdir: Path
    stack: str = "test"
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        base: Path,
        program: str,
        *,
        name: str = "wp-test",
        stack: str = "test",
        env: dict[str, str] | None = None,
    ) -> PulumiProject:
        workdir = base / "project"
        workdir.mkdir(parents=True, exist_ok=True)
        venv = Path(sys.prefix)
        (workdir / "Pulumi.yaml").write_text(
            f"name: {name}\nruntime:\n  name: python\n  options:\n    virtualenv: {venv}\n"
        )
        (workdir / "__main__.py").write_text(textwrap.dedent(program))
        project = cls(workdir=workdir, stack=stack, env=pulumi_env(base, env))
        project.run("stack", "init", stack)
        return project

    def write_program(self, program: str) -> None:
        (self.workdir / "__main__.py").write_text(textwrap.dedent(program))

    def run(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        pulumi = find_pulumi()
        assert pulumi, "pulumi CLI not found"
        result = subprocess.run(
            [pulumi, *args, "--non-interactive"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def config_set(self, key: str, value: str, *, secret: bool = False) -> None:
        args = ["config", "set", key, value, "--stack", self.stack]
        if secret:
            args.append("--secret")
        self.run(*args)

    def config_set_objects(self, values: dict[str, Any]) -> None:
        """Set structured config values by editing Pulumi.<stack>.yaml (plain values only)."""
        path = self.workdir / f"Pulumi.{self.stack}.yaml"
        document = yaml.safe_load(path.read_text()) if path.exists() else None
        document = document or {}
        document.setdefault("config", {}).update(values)
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))

    def preview(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("preview", "--stack", self.stack, *args, check=check)

    def up(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("up", "--yes", "--skip-preview", "--stack", self.stack, *args, check=check)

    def refresh(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("refresh", "--yes", "--stack", self.stack, *args, check=check)

    def destroy(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("destroy", "--yes", "--stack", self.stack, *args, check=check)

    def outputs(self) -> dict[str, Any]:
        result = self.run("stack", "output", "--json", "--show-secrets", "--stack", self.stack)
        data: dict[str, Any] = json.loads(result.stdout or "{}")
        return data

    def export(self) -> dict[str, Any]:
        result = self.run("stack", "export", "--stack", self.stack)
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def resources(self, type_suffix: str = "") -> list[dict[str, Any]]:
        deployment = self.export().get("deployment", {})
        found: list[dict[str, Any]] = deployment.get("resources") or []
        return [r for r in found if r.get("type", "").endswith(type_suffix)]
