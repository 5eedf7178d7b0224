"""What the commands run in a Pulumi project folder read from a stack, through the pulumi CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi_workplace.settings import WorkplaceSettings


class CommandError(Exception):
    """A command cannot go on; the message says why (never a secret)."""


def pulumi_cli() -> str:
    """The pulumi CLI on PATH."""
    found = shutil.which("pulumi")
    if not found:
        raise CommandError("the pulumi CLI is not on PATH")
    return found


def _run(folder: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [pulumi_cli(), *args, "--non-interactive"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def stack_config(folder: Path, stack: str) -> dict[str, Any]:
    """`key -> value` of a stack's config (project config included; secrets left out)."""
    result = _run(folder, ["config", "--json", "--stack", stack])
    if result.returncode != 0:
        raise CommandError(f"cannot read the config of stack {stack!r}: {result.stderr.strip()}")
    raw: dict[str, Any] = json.loads(result.stdout or "{}")
    values: dict[str, Any] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict) or entry.get("secret"):
            continue
        values[key] = entry["objectValue"] if "objectValue" in entry else entry.get("value")
    return values


def secret_setting(folder: Path, stack: str, key: str) -> str | None:
    """One secret config value of a stack, decrypted by the CLI; None when it is not set."""
    result = _run(folder, ["config", "get", key, "--stack", stack])
    if result.returncode != 0:
        return None
    value = result.stdout.rstrip("\n")
    return value or None


def stack_outputs(folder: Path, stack: str) -> dict[str, Any] | None:
    """A stack's outputs (secrets left out), or None when there is no such stack."""
    result = _run(folder, ["stack", "output", "--json", "--stack", stack])
    if result.returncode != 0:
        return None
    outputs: dict[str, Any] = json.loads(result.stdout or "{}")
    return outputs


def stack_resources(folder: Path, stack: str) -> list[dict[str, Any]] | None:
    """The resources of a stack's last deployment (`pulumi stack export`), or None when there
    is no such stack; secret values stay encrypted."""
    result = _run(folder, ["stack", "export", "--stack", stack])
    if result.returncode != 0:
        return None
    exported = json.loads(result.stdout or "{}")
    deployment = exported.get("deployment") or {}
    resources: list[dict[str, Any]] = deployment.get("resources") or []
    return resources


def scope_inputs(settings: WorkplaceSettings) -> dict[str, Any]:
    """Who is in scope, as the root program reads it from the settings: the keyword arguments
    of `planning.scope_members` and `planning.shard_overview`, messages naming the settings."""
    return {
        "assignments": settings.assignments,
        "roles": settings.roles,
        "scope": settings.scope,
        "scoping_filters": settings.scoping_filters,
        "nested_groups": settings.nested_groups,
        "assignments_setting": "workplace:assignments",
        "roles_setting": "workplace:roles",
    }
