"""Scale benchmark: N `pulumi_workplace.User` accounts through the real Pulumi CLI.

Runs seven phases on a generated Pulumi.yaml project in a temporary folder (file backend,
offline, as in tests/pulumi_harness.py) against the Workplace emulator, started as a separate
process on a free loopback port, then the same phases for an "engine floor" program of N `Echo`
resources (no HTTP) with the same dependency graph and payload:

1. ``up_create``     initial ``pulumi up`` creating N accounts
2. ``preview_noop``  ``pulumi preview --expect-no-changes``
3. ``up_noop``       ``pulumi up --expect-no-changes``
4. ``up_one``        ``pulumi up`` after one person's department changed
5. ``up_10pct``      ``pulumi up`` after 10% changed their title
6. ``refresh``       ``pulumi refresh``
7. ``up_deactivate`` ``pulumi up`` after 10% were unassigned (``active=False``)

Per phase it records wall seconds, the emulator's request counts (by method, kind, writes),
TCP connections opened to the emulator, CPU seconds and peak RSS of the engine, the program and
the dynamic provider process (sampled from /proc), and the state file size.

    python benchmarks/scale.py --users 1000 --json benchmarks/results/scale-1000.json \
        [--latency-ms 100] [--skip-floor] [--env PULUMI_SKIP_CHECKPOINTS=true] [--parallel 8]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import yaml

TOOLS_BIN = Path(
    os.environ.get(
        "PULUMI_WORKPLACE_TOOLS_BIN", Path.home() / ".cache/pulumi-workplace/pulumi-v3.274.1/bin"
    )
)
PASSPHRASE = "benchmark-passphrase-not-secret"  # noqa: S105 - throwaway
TOKEN = "benchmark-token-5e1d"  # noqa: S105 - a throwaway token for a loopback emulator
PROJECT = "wp-scale"
STACK = "bench"
STRIPPED_ENV = ("PULUMI_ACCESS_TOKEN", "CLAUDECODE", "CLAUDE_CODE_ENTRYPOINT", "PULUMI_BACKEND_URL")
SAMPLE_INTERVAL = 0.25
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Phase:
    """One CLI run and the program configuration it sees."""

    name: str
    args: tuple[str, ...]
    config: dict[str, Any]
    per_user_timeout: float  # seconds of timeout per user, on top of the base timeout


_UP = ("up", "--yes", "--skip-preview")
PHASES = (
    Phase("up_create", _UP, {}, 0.25),
    Phase("preview_noop", ("preview", "--expect-no-changes"), {}, 0.05),
    Phase("up_noop", (*_UP, "--expect-no-changes"), {}, 0.05),
    Phase("up_one", _UP, {"changeOne": True}, 0.05),
    Phase("up_10pct", _UP, {"changeOne": True, "changeShare": 0.1}, 0.1),
    Phase(
        "refresh",
        ("refresh", "--yes", "--skip-preview"),
        {"changeOne": True, "changeShare": 0.1},
        0.1,
    ),
    Phase(
        "up_deactivate",
        _UP,
        {"changeOne": True, "changeShare": 0.1, "deactivateShare": 0.1},
        0.1,
    ),
)
NAMES = tuple(p.name for p in PHASES)
BASE_TIMEOUT = 300.0

PROGRAM = '''\
"""Scale benchmark program: N generated people as `User` (or, as the floor, `Echo`) resources."""

import atexit
import json
import os
import time

_T0 = time.perf_counter()
import pulumi  # noqa: E402

from pulumi_workplace import User  # noqa: E402
from pulumi_workplace.testing import Echo  # noqa: E402

_IMPORTED = time.perf_counter()

config = pulumi.Config("bench")
KIND = config.get("kind") or "user"
N = config.require_int("users")
CHANGE_ONE = config.get_bool("changeOne") or False
CHANGE_SHARE = config.get_float("changeShare") or 0.0
DEACTIVATE_SHARE = config.get_float("deactivateShare") or 0.0
DEPARTMENTS = ["Sales", "Engineering", "Support", "Finance", "Legal", "Marketing", "Ops", "HR"]
TITLES = ["Engineer", "Analyst", "Specialist", "Associate"]
GIVEN = ["Ada", "Bo", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jo"]
FAMILY = ["Lee", "Kim", "Ng", "Diaz", "Berg", "Okafor", "Rossi", "Sato", "Weber", "Ivanova"]
BLOCK = 25  # one manager per block of 25 people


def selected(i: int, share: float, slot: float) -> bool:
    """Deterministic share of people: every k-th, at a fixed offset inside each k."""
    if share <= 0:
        return False
    k = max(1, round(1 / share))
    return i % k == int(k * slot) % k


def person(i: int) -> dict:
    block = (i - 1) // BLOCK
    is_manager = (i - 1) % BLOCK == 0
    given, family = GIVEN[i % len(GIVEN)], FAMILY[(i // len(GIVEN)) % len(FAMILY)]
    title = "Manager" if is_manager else TITLES[i % len(TITLES)]
    if selected(i, CHANGE_SHARE, 0.3):
        title += " II"
    department = DEPARTMENTS[block % len(DEPARTMENTS)]
    if CHANGE_ONE and i == 2:
        department = "Platform"
    return {
        "user_name": f"user{i:05d}@bench.example",
        "display_name": f"{given} {family} {i}",
        "given_name": given,
        "family_name": family,
        "title": title,
        "department": department,
        "employee_number": f"E{i:05d}",
        "active": not selected(i, DEACTIVATE_SHARE, 0.7),
        "manager": None if is_manager or i % 5 == 0 else block * BLOCK + 1,
    }


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


resources: dict[int, pulumi.CustomResource] = {}
for i in range(1, N + 1):
    p = person(i)
    boss = p.pop("manager")
    manager = resources[boss].id if boss is not None else None
    if KIND == "echo":
        value = {camel(k): v for k, v in p.items()}
        if manager is not None:
            value["managerId"] = manager
        resources[i] = Echo(f"u{i:05d}", value)
    else:
        resources[i] = User(f"u{i:05d}", manager_id=manager, **p)
_BUILT = time.perf_counter()
pulumi.export("count", N)


def _timing() -> None:
    path = os.environ.get("BENCH_TIMING_FILE")
    if path:
        with open(path, "w") as out:
            json.dump(
                {
                    "import_s": round(_IMPORTED - _T0, 3),
                    "construct_s": round(_BUILT - _IMPORTED, 3),
                    "program_total_s": round(time.perf_counter() - _T0, 3),
                },
                out,
            )


atexit.register(_timing)
'''


# -- machine ----------------------------------------------------------------------------------


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def pulumi_cli() -> str:
    """Path of the pulumi CLI: the project's local build, else the one on PATH."""
    candidate = TOOLS_BIN / "pulumi"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("pulumi")
    if not found:
        raise SystemExit("pulumi CLI not found (run `make setup`)")
    return found


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cli = subprocess.run(
        [pulumi_cli(), "version"], capture_output=True, text=True, timeout=60, check=False
    )

    def version(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "pulumi_cli": cli.stdout.strip(),
        "pulumi_sdk": version("pulumi"),
        "pulumi_workplace": version("pulumi-workplace"),
        "grpcio": version("grpcio"),
        "dill": version("dill"),
        "httpx": version("httpx"),
    }


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy (not idle or waiting) since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLK_TCK


# -- process sampling -------------------------------------------------------------------------


@dataclass
class _Proc:
    role: str
    cpu_s: float = 0.0
    hwm_kib: int = 0


def _role(cmdline: str) -> str:
    if "pulumi.dynamic" in cmdline:
        return "provider"
    if "pulumi-language-python-exec" in cmdline:
        return "program"
    if "language_python_standin" in cmdline or "pulumi-language-python" in cmdline:
        return "language_host"
    if cmdline.split(" ", 1)[0].endswith("/pulumi"):
        return "engine"
    return "other"


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def _hwm_kib(pid: int) -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _tcp_peers(port: int) -> set[int]:
    """Client ports of TCP sockets (any state, TIME_WAIT included) connected to `port`."""
    peers: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                local, remote = parts[1], parts[2]
                if int(local.rsplit(":", 1)[1], 16) == port:
                    peers.add(int(remote.rsplit(":", 1)[1], 16))
    return peers


class Sampler:
    """Samples the CPU time and peak RSS of a process tree, and connections to a port."""

    def __init__(
        self, root: int, port: int | None, on_process: Callable[[int, str], None] | None = None
    ) -> None:
        self.root, self.port, self.on_process = root, port, on_process
        self.procs: dict[int, _Proc] = {}
        self.peers: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._cmdlines: dict[int, str] = {}

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _descendants(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                stat = _stat(int(entry.name))
                if stat is not None:
                    parents[int(entry.name)] = stat[0]
        tree, frontier = {self.root}, [self.root]
        children: dict[int, list[int]] = {}
        for pid, ppid in parents.items():
            children.setdefault(ppid, []).append(pid)
        while frontier:
            for child in children.get(frontier.pop(), []):
                if child not in tree:
                    tree.add(child)
                    frontier.append(child)
        return sorted(tree)

    def sample(self) -> None:
        """Take one sample now."""
        for pid in self._descendants():
            stat = _stat(pid)
            if stat is None:
                continue
            with contextlib.suppress(OSError):
                raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                if raw:  # empty once the process has exited
                    self._cmdlines[pid] = raw.replace(b"\0", b" ").decode(errors="replace")
            proc = self.procs.setdefault(pid, _Proc("other"))
            # Re-classified every time: a process first seen between fork and exec looks like
            # its parent.
            proc.role = "engine" if pid == self.root else _role(self._cmdlines.get(pid, ""))
            if self.on_process is not None and proc.role in ("program", "provider"):
                self.on_process(pid, proc.role)
            proc.cpu_s = stat[1]
            proc.hwm_kib = max(proc.hwm_kib, _hwm_kib(pid))
        if self.port is not None:
            self.peers |= _tcp_peers(self.port)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL):
            self.sample()

    def summary(self) -> dict[str, dict[str, float]]:
        """CPU seconds and peak RSS (MiB) per role (engine, program, provider, ...)."""
        roles: dict[str, dict[str, float]] = {}
        for proc in self.procs.values():
            if proc.role == "other":
                continue
            role = roles.setdefault(proc.role, {"cpu_s": 0.0, "peak_rss_mib": 0.0})
            role["cpu_s"] = round(role["cpu_s"] + proc.cpu_s, 2)
            role["peak_rss_mib"] = max(role["peak_rss_mib"], round(proc.hwm_kib / 1024, 1))
        return roles


class Profiler:
    """Optional profiles of one phase: py-spy on the Python processes, pprof of the engine."""

    def __init__(self, out_dir: Path, py_spy: str | None, engine: bool, label: str) -> None:
        self.out_dir, self.py_spy, self.engine, self.label = out_dir, py_spy, engine, label
        self._started: set[int] = set()
        self._spies: list[subprocess.Popen[bytes]] = []
        out_dir.mkdir(parents=True, exist_ok=True)

    def cli_args(self) -> list[str]:
        """Global CLI flags that make the engine write CPU/memory profiles."""
        return ["--profiling", str(self.out_dir / f"{self.label}-engine")] if self.engine else []

    def attach(self, pid: int, role: str) -> None:
        """Start py-spy on a program or provider process (once per process)."""
        if self.py_spy is None or pid in self._started:
            return
        self._started.add(pid)
        out = self.out_dir / f"{self.label}-{role}-{pid}.txt"
        command = [self.py_spy, "record", "--pid", str(pid), "--rate", "100", "--format", "raw"]
        command += ["--output", str(out), "--nonblocking"]
        self._spies.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )

    def finish(self) -> None:
        """Wait for py-spy to write its files (it stops when its target exits)."""
        for spy in self._spies:
            try:
                spy.wait(60)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait(10)


# -- emulator ---------------------------------------------------------------------------------


class Emulator:
    """`pulumi-workplace emulator` as a separate process on a free loopback port.

    In memory (no `--data`): it lives for the whole series, and Workplace's own storage is not
    on the machine under test. With a data file every write waits for an fsync under the
    emulator's lock, which measured the benchmark's disk, not the provider
    (`benchmarks/emulator_throughput.py` measures the emulator with persistence).
    """

    def __init__(self, latency_ms: int, extra: tuple[str, ...] = ()) -> None:
        env = {**os.environ, "WORKPLACE_EMULATOR_TOKEN": TOKEN}
        command = [sys.executable, "-m", "pulumi_workplace.cli", "emulator", "--port", "0"]
        command += ["--latency-ms", str(latency_ms), *extra]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
        )
        self.url = self._wait_for_url()
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1])

    def _wait_for_url(self) -> str:
        found: list[str] = []

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                if "listening on " in line:
                    found.append(line.rsplit("listening on ", 1)[1].strip())
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(60)
        if not found:
            self.stop()
            raise SystemExit("the emulator did not report that it was listening")
        return found[0]

    def _call(self, method: str, path: str) -> Any:
        response = httpx.request(method, self.url + path.lstrip("/"), timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None

    def stats(self) -> dict[str, Any]:
        """The request counters, with zero entries dropped."""
        raw = self._call("GET", "_emulator/stats")
        return {
            "total": raw["total"],
            "writes": raw["writes"],
            "by_method": {k: v for k, v in raw["by_method"].items() if v},
            "by_kind": {k: v for k, v in raw["by_kind"].items() if v},
            "by_method_kind": {k: v for k, v in raw["by_method_kind"].items() if v},
            "by_status": raw["by_status"],
        }

    def reset(self) -> None:
        self._call("POST", "_emulator/stats/reset")

    def cpu_s(self) -> float:
        stat = _stat(self.process.pid)
        return stat[1] if stat else 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


# -- project ----------------------------------------------------------------------------------


@dataclass
class Project:
    """A generated Pulumi.yaml project with one stack on a file backend under `base`."""

    base: Path
    kind: str
    users: int
    env_extra: dict[str, str]
    parallel: int | None
    keep_states: bool = False
    workdir: Path = field(init=False)
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.workdir = self.base / "project"
        self.workdir.mkdir(parents=True)
        for name in ("state", "home"):
            (self.base / name).mkdir()
        venv = Path(sys.prefix)
        (self.workdir / "Pulumi.yaml").write_text(
            f"name: {PROJECT}\nruntime:\n  name: python\n  options:\n    virtualenv: {venv}\n"
        )
        (self.workdir / "__main__.py").write_text(PROGRAM)
        env = {k: v for k, v in os.environ.items() if k not in STRIPPED_ENV}
        env.update(
            {
                "PATH": f"{TOOLS_BIN}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
                + env.get("PATH", ""),
                "PULUMI_HOME": str(self.base / "home"),
                "PULUMI_BACKEND_URL": f"file://{self.base / 'state'}",
                "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_PYTHON_CMD": sys.executable,
                "PULUMI_SKIP_CONFIRMATIONS": "true",
                "NO_COLOR": "1",
                "BENCH_TIMING_FILE": str(self.base / "timing.json"),
            }
        )
        env.update(self.env_extra)
        self.env = env
        self.cli(("stack", "init", STACK), timeout=120)

    def cli(self, args: tuple[str, ...], timeout: float) -> None:
        """Run a set-up command; fail loudly."""
        result = subprocess.run(
            [pulumi_cli(), *args, "--non-interactive"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"pulumi {' '.join(args)}: {result.stdout}\n{result.stderr}")

    def set_config(self, values: dict[str, Any]) -> None:
        """Replace the bench:* config (plain values) in Pulumi.<stack>.yaml."""
        path = self.workdir / f"Pulumi.{STACK}.yaml"
        document = (yaml.safe_load(path.read_text()) if path.exists() else None) or {}
        config = {
            k: v for k, v in (document.get("config") or {}).items() if not k.startswith("bench:")
        }
        config["bench:kind"] = self.kind
        config["bench:users"] = self.users
        config.update({f"bench:{k}": v for k, v in values.items()})
        document["config"] = config
        path.write_text(yaml.safe_dump(document, sort_keys=False))

    def state_file(self) -> Path | None:
        """The stack's checkpoint file in the file backend (plain or compressed)."""
        folder = self.base / "state" / ".pulumi" / "stacks" / PROJECT
        for name in (f"{STACK}.json", f"{STACK}.json.gz", f"{STACK}.json.zst"):
            if (folder / name).exists():
                return folder / name
        return None

    def state_bytes(self) -> int:
        path = self.state_file()
        return path.stat().st_size if path else 0

    def state_breakdown(self) -> dict[str, Any]:
        """Mean bytes per resource of the program's type, by top-level field of the state."""
        path = self.state_file()
        if path is None or path.suffix != ".json":
            return {}
        document = json.loads(path.read_text())
        resources = [
            r
            for r in (document.get("checkpoint", {}).get("latest", {}) or {}).get("resources", [])
            if r.get("type", "").startswith("pulumi-python:dynamic")
        ]
        if not resources:
            return {}
        sizes: dict[str, int] = {}
        for resource in resources:
            for key, value in resource.items():
                encoded = len(json.dumps({key: value}, separators=(",", ":"))) - 2
                sizes[key] = sizes.get(key, 0) + encoded
        total = sum(sizes.values())
        return {
            "resources": len(resources),
            "bytes_per_resource": round(total / len(resources)),
            "by_field": {
                k: round(v / len(resources))
                for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])
            },
        }

    def run_phase(
        self,
        phase: Phase,
        emulator: Emulator | None,
        timeout: float,
        profiler: Profiler | None = None,
    ) -> dict[str, Any]:
        """Run one phase and measure it."""
        self.set_config(phase.config)
        timing = self.base / "timing.json"
        timing.unlink(missing_ok=True)
        if emulator is not None:
            emulator.reset()
            emulator_cpu = emulator.cpu_s()
        args = [pulumi_cli(), *(profiler.cli_args() if profiler else [])]
        args += [*phase.args, "--stack", STACK, "--non-interactive"]
        if self.parallel is not None and phase.args[0] in ("up", "refresh", "preview"):
            args += ["--parallel", str(self.parallel)]
        log = self.base / f"{phase.name}.log"
        before = os.times()
        busy_before = _busy_cpu_s()
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        timed_out = False
        with log.open("w") as out:
            process = subprocess.Popen(
                args,
                cwd=self.workdir,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            port = emulator.port if emulator else None
            attach = profiler.attach if profiler else None
            with Sampler(process.pid, port, attach) as sampler:
                try:
                    code = process.wait(timeout)
                except subprocess.TimeoutExpired:
                    timed_out = True
                    os.killpg(process.pid, signal.SIGKILL)
                    code = process.wait(30)
        wall = time.perf_counter() - started
        after = os.times()
        busy = _busy_cpu_s() - busy_before
        if profiler is not None:
            profiler.finish()
        output = log.read_text(errors="replace")
        result: dict[str, Any] = {
            "phase": phase.name,
            "command": "pulumi " + " ".join(phase.args),
            "seconds": round(wall, 2),
            "exit_code": code,
            "timed_out": timed_out,
            "timeout_s": round(timeout),
            "summary": summarize(output),
            "cpu_s_total": round(
                (after.children_user - before.children_user)
                + (after.children_system - before.children_system),
                2,
            ),
            "processes": sampler.summary(),
        }
        if timing.exists():
            result["program"] = json.loads(timing.read_text())
        ours = result["cpu_s_total"]
        if emulator is not None:
            result["http"] = emulator.stats()
            result["http"]["connections"] = len(sampler.peers)
            result["emulator_cpu_s"] = round(emulator.cpu_s() - emulator_cpu, 2)
            ours += result["emulator_cpu_s"]
        # What else ran on the machine meanwhile: CPU seconds not spent by this benchmark.
        result["machine"] = {
            "load_before": round(load_before, 2),
            "busy_cpu_s": round(busy, 1),
            "other_cpu_s": round(max(0.0, busy - ours), 1),
        }
        result["state_bytes"] = self.state_bytes()
        state = self.state_file()
        if self.keep_states and state is not None:
            shutil.copyfile(state, self.base / f"state-after-{phase.name}{state.suffix}")
        if code != 0:
            result["output_tail"] = output[-3000:]
        return result


_SUMMARY = re.compile(
    r"^\s*(?:[+~-]|\+-)?\s*(\d+) (to create|to update|to delete|to replace|created|updated|"
    r"deleted|replaced|unchanged)\s*$",
    re.MULTILINE,
)


def summarize(output: str) -> dict[str, int]:
    """The resource counts from the CLI's closing summary ("+ 100 created", ...)."""
    tail = output[output.rfind("Resources:") :] if "Resources:" in output else ""
    return {m.group(2).replace(" ", "_"): int(m.group(1)) for m in _SUMMARY.finditer(tail)}


# -- orchestration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """What to run and how."""

    users: int
    latency_ms: int = 0
    env: dict[str, str] = field(default_factory=dict)
    parallel: int | None = None
    phases: tuple[str, ...] = NAMES
    keep: bool = False
    profile_dir: Path | None = None
    py_spy: str | None = None
    engine_profile: bool = False


class Series:
    """One program kind ("user" or "echo") and its project, run phase by phase."""

    def __init__(self, kind: str, options: Options) -> None:
        self.kind, self.options = kind, options
        self.base = Path(tempfile.mkdtemp(prefix=f"wp-scale-{kind}-{options.users}-"))
        self.emulator: Emulator | None = None
        self.phases: list[dict[str, Any]] = []
        self.stopped = False
        self.project = Project(
            self.base, kind, options.users, options.env, options.parallel, options.keep
        )
        if kind == "user":
            self.emulator = Emulator(options.latency_ms)
            self.project.cli(
                ("config", "set", "workplace:tenantUrl", self.emulator.url), timeout=120
            )
            self.project.cli(("config", "set", "--secret", "workplace:token", TOKEN), timeout=120)

    def run(self, phase: Phase) -> None:
        """Run one phase unless an earlier failure made the rest meaningless."""
        if self.stopped:
            return
        users = self.options.users
        timeout = BASE_TIMEOUT + phase.per_user_timeout * users
        if self.emulator is not None and self.options.latency_ms and phase.name == "up_create":
            timeout += users * self.options.latency_ms / 1000
        profiler = None
        if self.options.profile_dir is not None:
            label = f"{self.kind}-{users}-{phase.name}"
            profiler = Profiler(
                self.options.profile_dir, self.options.py_spy, self.options.engine_profile, label
            )
        result = self.project.run_phase(phase, self.emulator, timeout, profiler)
        self.phases.append(result)
        print(
            f"[{self.kind} N={users}] {phase.name}: {result['seconds']} s, exit "
            f"{result['exit_code']}, {result['summary']}, other CPU "
            f"{result['machine']['other_cpu_s']} s, "
            f"http={result.get('http', {}).get('by_method_kind')}",
            file=sys.stderr,
            flush=True,
        )
        if result["timed_out"] or (result["exit_code"] != 0 and phase.name == "up_create"):
            self.stopped = True  # a killed run leaves the stack locked; the rest means nothing

    def report(self) -> dict[str, Any]:
        """The phases and the final state size."""
        state = self.project.state_bytes()
        users = self.options.users
        return {
            "kind": self.kind,
            "phases": self.phases,
            "state_bytes": state,
            "state_bytes_per_account": round(state / users, 1),
            "state_breakdown": self.project.state_breakdown(),
            "workdir": str(self.base) if self.options.keep else None,
        }

    def close(self) -> None:
        """Stop the emulator and remove the folder (unless kept)."""
        if self.emulator is not None:
            self.emulator.stop()
        if not self.options.keep:
            shutil.rmtree(self.base, ignore_errors=True)


def run_series(kinds: list[str], options: Options) -> dict[str, dict[str, Any]]:
    """Run every phase for each kind, interleaved phase by phase.

    Interleaving puts each phase of both programs close together in time, so a load that other
    programs put on the machine meanwhile disturbs both sides of a ratio alike.
    """
    series: list[Series] = []
    try:
        for kind in kinds:
            series.append(
                Series(kind, options if kind == "user" else replace(options, latency_ms=0))
            )
        for phase in PHASES:
            if phase.name in options.phases:
                for one in series:
                    one.run(phase)
        return {one.kind: one.report() for one in series}
    finally:
        for one in series:
            one.close()


def _phase(result: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((p for p in result["phases"] if p["phase"] == name), None)


def ratios(ours: dict[str, Any], floor: dict[str, Any]) -> dict[str, float | None]:
    """Seconds of ours over seconds of the floor, per phase."""
    out: dict[str, float | None] = {}
    for phase in PHASES:
        a, b = _phase(ours, phase.name), _phase(floor, phase.name)
        out[phase.name] = (
            round(a["seconds"] / b["seconds"], 2) if a and b and b["seconds"] > 0 else None
        )
    return out


def _ok(phase: dict[str, Any] | None) -> bool:
    return phase is not None and phase["exit_code"] == 0 and not phase["timed_out"]


def targets(
    ours: dict[str, Any], ratio: dict[str, float | None] | None, users: int, latency_ms: int
) -> list[dict[str, Any]]:
    """The issue's targets, evaluated on this run."""
    checks: list[dict[str, Any]] = []

    def add(name: str, target: str, measured: Any, met: bool | None) -> None:
        checks.append({"target": name, "limit": target, "measured": measured, "met": met})

    create = _phase(ours, "up_create")
    preview = _phase(ours, "preview_noop")
    noop = _phase(ours, "up_noop")
    one = _phase(ours, "up_one")
    refresh = _phase(ours, "refresh")
    if latency_ms:
        ideal = users * latency_ms / 1000 / 4
        if create:
            add(
                "initial up with latency",
                f"<= 2 x N x {latency_ms / 1000} s / 4 = {2 * ideal:.0f} s",
                create["seconds"],
                _ok(create) and create["seconds"] <= 2 * ideal,
            )
        return checks
    # Time limits are stated for N = 10,000; below that only counts and ratios are judged.
    timed = users >= 10_000
    if create:
        if timed:
            met = _ok(create) and create["seconds"] <= 600
            add("initial up", "<= 600 s", create["seconds"], met)
        total = create.get("http", {}).get("total", 0)
        per = round(total / users, 3)
        limit = 2 * users + 10  # 2 per account, plus the one-off connection check of a run
        add("requests per created account", f"<= 2 (+10 per run): {limit}", per, total <= limit)
    if preview:
        if timed:
            met = _ok(preview) and preview["seconds"] <= 60
            add("no-op preview time", "<= 60 s", preview["seconds"], met)
        total = preview.get("http", {}).get("total")
        add("no-op preview requests", "0", total, _ok(preview) and total == 0)
    if noop:
        writes = noop.get("http", {}).get("writes")
        add("no-op up writes", "0", writes, _ok(noop) and writes == 0)
    if one:
        if timed:
            met = _ok(one) and one["seconds"] <= 90
            add("one change: time", "<= 90 s", one["seconds"], met)
        writes = one.get("http", {}).get("writes")
        add("one change: writes", "1", writes, _ok(one) and writes == 1)
    if refresh:
        if timed:
            met = _ok(refresh) and refresh["seconds"] <= 120
            add("refresh time", "<= 120 s", refresh["seconds"], met)
        total = refresh.get("http", {}).get("total")
        limit = users // 100 + 10
        met = _ok(refresh) and total is not None and total <= limit
        add("refresh requests", f"<= {limit}", total, met)
    if ratio:
        worst = max((r for r in ratio.values() if r is not None), default=None)
        met = worst is not None and worst <= 1.3
        add("overhead over engine floor", "<= 1.3 x in every phase", ratio, met)
    return checks


def _parse_env(pairs: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--env expects KEY=VALUE, not {pair!r}")
        env[key] = value
    return env


@contextlib.contextmanager
def _stage(name: str) -> Iterator[None]:
    started = time.perf_counter()
    print(f"== {name}", file=sys.stderr, flush=True)
    yield
    print(f"== {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--users", type=int, required=True, metavar="N")
    add("--json", type=Path, required=True, metavar="OUT")
    add("--latency-ms", type=int, default=0, metavar="L", help="emulator latency per request")
    add("--skip-floor", action="store_true", help="do not run the Echo floor")
    add("--skip-user", action="store_true", help="run only the Echo floor")
    add("--env", action="append", default=[], metavar="KEY=VALUE", help="extra CLI environment")
    add("--parallel", type=int, metavar="P", help="pass --parallel P to the CLI")
    add("--phases", metavar="A,B", help="comma-separated subset of: " + ", ".join(NAMES))
    add("--keep", action="store_true", help="keep the temporary folders")
    add("--profile-dir", type=Path, metavar="DIR", help="write profiles of every phase here")
    add("--py-spy", metavar="PATH", help="py-spy binary: profile the program and provider")
    add("--engine-profile", action="store_true", help="pprof CPU profiles of the engine")
    args = parser.parse_args(argv)
    if args.users < 1:
        parser.error("--users must be at least 1")
    phases = tuple(args.phases.split(",")) if args.phases else NAMES
    if unknown := set(phases) - set(NAMES):
        parser.error(f"unknown phases: {sorted(unknown)}")
    if (args.py_spy or args.engine_profile) and args.profile_dir is None:
        parser.error("--py-spy and --engine-profile need --profile-dir")
    options = Options(
        users=args.users,
        latency_ms=args.latency_ms,
        env=_parse_env(args.env),
        parallel=args.parallel,
        phases=phases,
        keep=args.keep,
        profile_dir=args.profile_dir,
        py_spy=args.py_spy,
        engine_profile=args.engine_profile,
    )
    started = time.time()
    report: dict[str, Any] = {
        "benchmark": "scale",
        "users": args.users,
        "latency_ms": args.latency_ms,
        "env": options.env,
        "parallel": args.parallel,
        "machine": machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
    }
    kinds = ([] if args.skip_user else ["user"]) + ([] if args.skip_floor else ["echo"])
    with _stage(f"{' + '.join(kinds)} x {args.users}"):
        results = run_series(kinds, options)
    if "user" in results:
        report["user"] = results["user"]
    if "echo" in results:
        report["floor"] = results["echo"]
    failed = any(
        p["exit_code"] != 0 or p["timed_out"] for r in results.values() for p in r["phases"]
    )
    if "user" in report and "floor" in report:
        report["ratios"] = ratios(report["user"], report["floor"])
    if "user" in report:
        report["targets"] = targets(
            report["user"], report.get("ratios"), args.users, args.latency_ms
        )
    report["total_seconds"] = round(time.time() - started, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
