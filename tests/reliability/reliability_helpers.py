"""Shared by the reliability and security tests and benchmarks/reliability_large.py.

Everything here drives the real `pulumi` CLI (through tests/pulumi_harness.py) against the
Workplace emulator over loopback HTTP, and inspects the emulator's store directly: what
Workplace holds is the ground truth every scenario is judged by.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from pulumi_harness import PulumiProject, find_pulumi
from pulumi_workplace.resources._user_props import flatten

TOKEN = "wprel-TOKEN-9f41c2d7e8b3a6Z5"
"""A distinctive token: the secrets tests look for it (and its encodings) everywhere."""

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER_TYPE = "pulumi-python:dynamic/workplace:User"

USERS_PROGRAM = """\
import json
import pathlib

from pulumi_workplace import User

for spec in json.loads(pathlib.Path("users.json").read_text(encoding="utf-8")):
    spec = dict(spec)
    User(spec.pop("name"), **spec)
"""
"""A program declaring one `User` per entry of users.json (keyword arguments of `User`)."""

ROOT_PROGRAM = "from pulumi_workplace.program import main\n\nmain()\n"


# -- Declared users ------------------------------------------------------------------------


def user_spec(index: int, *, variant: int = 0) -> dict[str, Any]:
    """The declared attributes of user number `index` (keyword arguments of `User`)."""
    return {
        "name": f"u{index:04d}",
        "user_name": f"user{index:04d}@example.com",
        "display_name": f"User {index}",
        "formatted_name": f"User Number {index}",
        "title": "Engineer" if variant == 0 else f"Engineer v{variant}",
        "department": f"Dept {index % 7}",
        "employee_number": str(10_000 + index),
        "work_email": f"user{index:04d}@example.com",
    }


def user_specs(count: int) -> list[dict[str, Any]]:
    return [user_spec(index) for index in range(count)]


def write_specs(project: PulumiProject, specs: list[dict[str, Any]]) -> None:
    (project.workdir / "users.json").write_text(json.dumps(specs, ensure_ascii=False))


def _emails(account: Mapping[str, Any]) -> list[str]:
    return [e.get("value") for e in account.get("emails") or [] if e.get("type") == "work"]


def stored_values(account: Mapping[str, Any]) -> dict[str, Any]:
    """What Workplace holds for the attributes `user_spec` declares."""
    enterprise = account.get(ENTERPRISE) or {}
    return {
        "user_name": account.get("userName"),
        "display_name": account.get("displayName"),
        "formatted_name": (account.get("name") or {}).get("formatted"),
        "title": account.get("title"),
        "department": enterprise.get("department"),
        "employee_number": enterprise.get("employeeNumber"),
        "work_email": next(iter(_emails(account)), None),
        "active": account.get("active"),
    }


def mismatches(account: Mapping[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    """Declared attribute -> (declared, stored) for every attribute that differs."""
    stored = stored_values(account)
    wanted = {k: v for k, v in spec.items() if k in stored}
    wanted.setdefault("active", True)
    return {k: (v, stored[k]) for k, v in wanted.items() if stored[k] != v}


# -- The emulator as ground truth ----------------------------------------------------------


def duplicates(accounts: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Case-insensitive userNames held by more than one account."""
    counts = Counter(str(a.get("userName", "")).lower() for a in accounts)
    return {name: n for name, n in counts.items() if n > 1}


def assert_accounts_as_declared(accounts: list[dict[str, Any]], specs: list[dict[str, Any]]):
    """Exactly one account per spec (userName, any case), nothing else, every attribute right.

    Returns userName (lower case) -> account.
    """
    assert duplicates(accounts) == {}, f"duplicate accounts: {duplicates(accounts)}"
    by_name = {str(a["userName"]).lower(): a for a in accounts}
    wanted = {spec["user_name"].lower(): spec for spec in specs}
    missing = sorted(set(wanted) - set(by_name))
    extra = sorted(set(by_name) - set(wanted))
    assert not missing and not extra, f"missing {missing[:10]}, unexpected {extra[:10]}"
    wrong = {n: mismatches(by_name[n], s) for n, s in wanted.items()}
    wrong = {n: m for n, m in wrong.items() if m}
    assert not wrong, (
        f"{len(wrong)} account(s) differ from the declaration: {dict(list(wrong.items())[:5])}"
    )
    return by_name


def versions(accounts: Iterable[Mapping[str, Any]]) -> dict[str, tuple[Any, Any]]:
    """id -> (meta.version, meta.lastModified): changes on every write to the account."""
    return {
        a["id"]: ((a.get("meta") or {}).get("version"), (a.get("meta") or {}).get("lastModified"))
        for a in accounts
    }


def admin_client(url: str, token: str = TOKEN) -> httpx.Client:
    """An out-of-band SCIM client: what an administrator does in Workplace directly."""
    return httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {token}", "User-Agent": "reliability-tests-admin"},
        timeout=30.0,
    )


def create_account(url: str, **fields: Any) -> dict[str, Any]:
    """Create an account directly in Workplace (a decoy or a pre-existing person)."""
    body = {"schemas": [CORE], **fields}
    with admin_client(url) as admin:
        response = admin.post("Users", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


# -- Pulumi state --------------------------------------------------------------------------


def state_users(project: PulumiProject) -> dict[str, dict[str, Any]]:
    """Resource name -> {id, outputs} of every `User` in the stack's state."""
    found = {}
    for resource in project.resources(USER_TYPE):
        name = resource["urn"].rsplit("::", 1)[-1]
        outputs = flatten(resource.get("outputs") or {})
        found[name] = {"id": resource.get("id"), "outputs": outputs}
    return found


def pending_operations(project: PulumiProject) -> list[dict[str, Any]]:
    deployment = project.export().get("deployment", {})
    pending: list[dict[str, Any]] = deployment.get("pending_operations") or []
    return pending


def assert_state_matches_workplace(project: PulumiProject, accounts: list[dict[str, Any]]):
    """No orphans either way: every account is in state and every state id is an account."""
    in_state = state_users(project)
    ids_in_state = Counter(entry["id"] for entry in in_state.values())
    assert all(n == 1 for n in ids_in_state.values()), f"ids shared in state: {ids_in_state}"
    account_ids = {a["id"] for a in accounts}
    orphans = sorted(account_ids - set(ids_in_state))
    ghosts = sorted(set(ids_in_state) - account_ids)
    assert not orphans, f"{len(orphans)} account(s) not in the Pulumi state: {orphans[:10]}"
    assert not ghosts, f"{len(ghosts)} state resource(s) with no account: {ghosts[:10]}"
    by_id = {a["id"]: a for a in accounts}
    for name, entry in in_state.items():
        stored = by_id[entry["id"]]["userName"]
        assert str(entry["outputs"].get("userName", "")).lower() == stored.lower(), name
    return in_state


# -- Running pulumi in the background ------------------------------------------------------


class Background:
    """A `pulumi` command running in its own process group, output captured to files."""

    def __init__(self, project: PulumiProject, *args: str, name: str = "bg") -> None:
        pulumi = find_pulumi()
        assert pulumi, "pulumi CLI not found"
        self.stdout_path = project.workdir.parent / f"{name}.stdout"
        self.stderr_path = project.workdir.parent / f"{name}.stderr"
        self._out = self.stdout_path.open("w")
        self._err = self.stderr_path.open("w")
        self.process = subprocess.Popen(
            [pulumi, *args, "--non-interactive"],
            cwd=project.workdir,
            env=project.env,
            stdout=self._out,
            stderr=self._err,
            text=True,
            start_new_session=True,  # its own process group: a kill takes the plugins too
        )

    def wait(self, timeout: float = 600) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            self._out.close()
            self._err.close()

    def kill_group(self) -> None:
        """SIGKILL the CLI's process group (the CLI and the program it runs).

        The CLI starts its plugins (language host, dynamic provider) in process groups of
        their own, so they are not in this group: see `kill_session`.
        """
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.wait(60)

    def survivors(self) -> list[int]:
        """Processes of the CLI's session still alive (plugins in their own groups)."""
        return session_pids(self.process.pid)

    def kill_session(self) -> list[int]:
        """SIGKILL everything the run started, as when a CI job or machine dies; return the
        processes that had outlived the CLI's process group."""
        self.kill_group()
        left = self.survivors()
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not self.survivors(), 30, "the killed run's plugins to exit")
        return left

    @property
    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(
            errors="replace"
        )


def describe_process(pid: int) -> str:
    """What a process is, by the Pulumi part it plays: `program`, `dynamic provider`,
    `Pulumi's Go language host`, `stand-in language host` or its command line."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return f"{pid} (gone)"
    words = [a.decode(errors="replace") for a in argv if a]
    line = " ".join(words)
    if "pulumi-language-python-exec" in line:
        role = "program (pulumi-language-python-exec)"
    elif "pulumi-resource-pulumi-python" in line or "pulumi.dynamic" in line:
        role = "dynamic provider (pulumi-resource-pulumi-python)"
    elif "pulumi_language_python_standin" in line:
        role = "stand-in language host (scripts/langhost)"
    elif Path(exe).name == "pulumi-language-python":
        role = "Pulumi's Go language host (pulumi-language-python)"
    else:
        role = line[:120]
    return f"{pid} {role}"


def _live_processes() -> Iterator[tuple[int, list[str]]]:
    """(pid, stat fields after the command name) of every live process (Linux /proc)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields: state, ppid, pgrp, session, ...; zombies are already dead.
        if fields[0] != "Z":
            yield int(entry.name), fields


def child_pids(parent: int) -> list[int]:
    """Live processes whose parent is `parent`."""
    return [pid for pid, fields in _live_processes() if int(fields[1]) == parent]


def session_pids(session_id: int) -> list[int]:
    """Live processes whose session id is `session_id`."""
    return [pid for pid, fields in _live_processes() if int(fields[3]) == session_id]


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)


def state_dir(project: PulumiProject) -> Path:
    return Path(project.env["PULUMI_BACKEND_URL"].removeprefix("file://"))


def repair_torn_sidecars(project: PulumiProject) -> list[Path]:
    """Step 1b of the crash recovery: remove what a kill mid-write leaves in a file backend.

    The file backend (gocloud fileblob) writes `<file>.attrs` next to every state file by
    truncating and rewriting it; a kill in between leaves it empty and every command then fails
    with "failed to load checkpoint: EOF". A missing sidecar is fine, an empty one is not, so
    empty `*.attrs` files are deleted, as are the `*.tmp` files of interrupted writes.
    """
    removed = []
    for path in sorted(state_dir(project).rglob("*")):
        torn = path.suffix == ".attrs" and path.stat().st_size == 0
        if path.is_file() and (torn or path.suffix == ".tmp"):
            path.unlink()
            removed.append(path)
    return removed


def lock_files(project: PulumiProject) -> list[Path]:
    locks = state_dir(project) / ".pulumi" / "locks"
    return sorted(p for p in locks.rglob("*.json")) if locks.exists() else []


# -- Loopback servers ----------------------------------------------------------------------


class EmulatorProcess:
    """`pulumi-workplace emulator` as a separate process, its output kept for inspection."""

    def __init__(self, folder: Path, token: str = TOKEN, *extra: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.stdout_path = folder / "emulator.stdout"
        self.stderr_path = folder / "emulator.stderr"
        self.data_file = folder / "emulator.jsonl"
        env = {**os.environ, "WORKPLACE_EMULATOR_TOKEN": token}
        command = [sys.executable, "-m", "pulumi_workplace.cli", "emulator", "--port", "0"]
        command += ["--data", str(self.data_file), *extra]
        with self.stdout_path.open("w") as out, self.stderr_path.open("w") as err:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        wait_until(lambda: "listening on" in self.stdout_path.read_text(), 60, "the emulator")
        line = self.stdout_path.read_text().split("listening on", 1)[1].split()[0]
        self.url = line.strip()

    def stats(self) -> dict[str, Any]:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            data: dict[str, Any] = client.get("_emulator/stats").json()
            return data

    def stop(self) -> str:
        """Stop it (SIGTERM) and return everything it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(
            errors="replace"
        )
