"""Sharding benchmark: 100,000 people in 10 shard stacks, two shard jobs at a time (issue #17).

One generated project runs the root program (`pulumi_workplace.program`) against the emulator
(a separate process, in memory) from one CSV directory, with stacks `shard-0` .. `shard-<K-1>`
on one file backend; each stack's config differs only in `workplace:shard.index`. Phases:

1. ``provision``   every shard's ``pulumi up`` (two at a time), then ``shards --changed`` and
                   the shards it lists (managers in shards that ran later are filled in)
2. ``preview``     every shard's ``pulumi preview --expect-no-changes``
3. ``one_change``  one person's title changes: ``pulumi-workplace shards --changed`` and the
                   ``up`` of the shard it lists; the time until the PATCH reaches the emulator
4. ``move``        1% of the people move from one shard's departments to another shard's:
                   ``shards --changed`` and the two shards it lists, run at the same time;
                   0 deactivations, 0 creates

Per shard job: wall seconds, and the peak RSS of the job's processes (engine, language host,
program, provider; the sum of each one's VmHWM, an upper bound of the job's peak). Targets are
checked and written with the results (JSON) and summarised on stdout.

    python benchmarks/shards.py --people 100000 --shards 10 --json benchmarks/results/shards.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent import futures
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from scale import (  # the shared harness of benchmarks/scale.py
    PASSPHRASE,
    STRIPPED_ENV,
    TOKEN,
    TOOLS_BIN,
    Emulator,
    Sampler,
    machine,
    pulumi_cli,
)

PROJECT = "wp-shards"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
_SHARDS_COMMAND = (sys.executable, "-m", "pulumi_workplace.cli", "shards")
DEPARTMENT_SIZE = 100
TARGETS = {
    "preview_each_s": 60.0,
    "provision_total_s": 15 * 60.0,
    "peak_job_mib": 2.5 * 1024,
    "one_change_s": 90.0,
}


def department_of(i: int) -> str:
    return f"D{i // DEPARTMENT_SIZE:04d}"


def write_directory(path: Path, people: int, overrides: dict[int, dict[str, str]]) -> None:
    """People in departments of 100: the first of each heads it and reports to the head of a
    department ten before (often in another shard); the others report to their head."""
    columns = ["id", "userPrincipalName", "mail", "givenName", "surname", "displayName"]
    columns += ["jobTitle", "department", "employeeId", "manager", "accountEnabled"]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for i in range(people):
            head = (i // DEPARTMENT_SIZE) * DEPARTMENT_SIZE
            manager = head if i != head else (head - 10 * DEPARTMENT_SIZE)
            row = {
                "id": f"00000000-0000-4000-8000-{i:012d}",
                "userPrincipalName": f"user{i:06d}@bench.example",
                "mail": f"user{i:06d}@bench.example",
                "givenName": f"Given{i}",
                "surname": f"Family{i % 977}",
                "displayName": f"Given{i} Family{i % 977}",
                "jobTitle": "Head" if i == head else "Staff",
                "department": department_of(i),
                "employeeId": f"E{i:06d}",
                "manager": f"user{manager:06d}@bench.example" if manager >= 0 else "",
                "accountEnabled": "true",
            }
            row.update(overrides.get(i, {}))
            writer.writerow(row)


class Bench:
    """The project folder, its stacks and the emulator."""

    def __init__(self, base: Path, people: int, shards: int, page_size: int) -> None:
        self.base, self.people, self.shards = base, people, shards
        self.workdir = base / "project"
        self.workdir.mkdir(parents=True)
        for name in ("state", "home"):
            (base / name).mkdir()
        self.directory = self.workdir / "people.csv"
        self.overrides: dict[int, dict[str, str]] = {}
        write_directory(self.directory, people, self.overrides)
        self.emulator = Emulator(0)
        venv = Path(sys.prefix)
        project_config = {
            "workplace:directory": {"value": {"format": "csv", "people": "people.csv"}},
            "workplace:scope": {"value": "all"},
            "workplace:pageSize": {"value": page_size},
        }
        (self.workdir / "Pulumi.yaml").write_text(
            yaml.safe_dump(
                {
                    "name": PROJECT,
                    "runtime": {"name": "python", "options": {"virtualenv": str(venv)}},
                    "config": project_config,
                },
                sort_keys=False,
            )
        )
        (self.workdir / "__main__.py").write_text(
            "from pulumi_workplace.program import main\n\nmain()\n"
        )
        env = {k: v for k, v in os.environ.items() if k not in STRIPPED_ENV}
        env.update(
            {
                "PATH": f"{TOOLS_BIN}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
                + env.get("PATH", ""),
                "PULUMI_HOME": str(base / "home"),
                "PULUMI_BACKEND_URL": f"file://{base / 'state'}",
                "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_PYTHON_CMD": sys.executable,
                "PULUMI_SKIP_CONFIRMATIONS": "true",
                "PULUMI_SKIP_CHECKPOINTS": "true",
                "PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS": "true",
                "NO_COLOR": "1",
                "WORKPLACE_TENANT_URL": self.emulator.url,
                "WORKPLACE_TOKEN": TOKEN,
                "WORKPLACE_PROVISIONING_LOG": str(base / "provisioning-log.jsonl"),
            }
        )
        self.env = env
        for index in range(shards):
            stack = self.stack(index)
            self._cli("stack", "init", stack)
            (self.workdir / f"Pulumi.{stack}.yaml").write_text(
                yaml.safe_dump(
                    {
                        "config": {
                            "workplace:shard": {
                                "count": shards,
                                "index": index,
                                "key": "department",
                            }
                        }
                    }
                )
            )

    @staticmethod
    def stack(index: int) -> str:
        return f"shard-{index}"

    def _cli(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
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
            raise RuntimeError(f"pulumi {' '.join(args)}: {result.stdout[-3000:]}{result.stderr}")
        return result

    def job(self, index: int, *args: str, timeout: float = 3600) -> dict[str, Any]:
        """One shard's CLI run, sampled: wall seconds and peak memory of its processes."""
        command = [pulumi_cli(), *args, "--stack", self.stack(index), "--non-interactive"]
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            cwd=self.workdir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        with Sampler(process.pid, None) as sampler:
            output, _ = process.communicate(timeout=timeout)
            sampler.sample()
        roles = sampler.summary()
        result = {
            "shard": index,
            "command": args[0],
            "wall_s": round(time.monotonic() - started, 1),
            "exit": process.returncode,
            "peak_rss_mib": round(sum(r["peak_rss_mib"] for r in roles.values()), 1),
            "by_role": roles,
        }
        if process.returncode != 0:
            result["tail"] = output[-3000:]
        return result

    def jobs(self, indexes: list[int], *args: str, parallel: int = 2) -> list[dict[str, Any]]:
        with futures.ThreadPoolExecutor(max_workers=parallel) as pool:
            return list(pool.map(lambda i: self.job(i, *args), indexes))

    def changed(self) -> tuple[list[int], float]:
        """`pulumi-workplace shards --changed`: the listed shard indexes and the seconds."""
        started = time.monotonic()
        result = subprocess.run(
            [*_SHARDS_COMMAND, "--stack", self.stack(0), "--changed", "--format", "matrix"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"shards --changed: {result.stderr}")
        matrix = json.loads(result.stdout)
        return [entry["shard"] for entry in matrix["include"]], time.monotonic() - started

    def rewrite(self, overrides: dict[int, dict[str, str]]) -> None:
        self.overrides.update(overrides)
        write_directory(self.directory, self.people, self.overrides)

    def accounts(self) -> list[dict[str, Any]]:
        import httpx

        users: list[dict[str, Any]] = []
        start = 1
        headers = {"Authorization": f"Bearer {TOKEN}"}
        while True:
            page = httpx.get(
                f"{self.emulator.url}Users",
                params={"startIndex": start, "count": 1000},
                headers=headers,
                timeout=60,
            ).json()
            users.extend(page.get("Resources") or [])
            start += page.get("itemsPerPage") or 1000
            if start > page.get("totalResults", 0) or not page.get("Resources"):
                return users


def _wall(results: list[dict[str, Any]]) -> float:
    return round(sum(r["wall_s"] for r in results), 1)


def run(args: argparse.Namespace, save: Any = lambda report: None) -> dict[str, Any]:
    """All phases; `save(report)` after each, so a stopped run keeps what it measured."""
    base = Path(tempfile.mkdtemp(prefix="wp-shards-"))
    bench = Bench(base, args.people, args.shards, args.page_size)
    report: dict[str, Any] = {
        "people": args.people,
        "shards": args.shards,
        "parallel_jobs": 2,
        "machine": machine(),
    }
    try:
        everything = list(range(min(args.only or args.shards, args.shards)))
        report["only"] = args.only
        started = time.monotonic()
        first = bench.jobs(everything, "up", "--yes", "--skip-preview")
        listed, listing_s = bench.changed()
        listed = [index for index in listed if index in everything]
        fill = bench.jobs(listed, "up", "--yes", "--skip-preview") if listed else []
        accounts = bench.accounts()
        report["provision"] = {
            "wall_s": round(time.monotonic() - started, 1),
            "first_pass": first,
            "changed_after_first_pass": listed,
            "shards_changed_s": round(listing_s, 1),
            "fill_in_pass": fill,
            "accounts": len(accounts),
            "active": sum(bool(u.get("active")) for u in accounts),
            "emulator": bench.emulator.stats(),
        }
        print(json.dumps({"provision_wall_s": report["provision"]["wall_s"]}), flush=True)
        save(report)

        bench.emulator.reset()
        preview = bench.jobs(everything, "preview", "--expect-no-changes")
        report["preview"] = {"jobs": preview, "emulator": bench.emulator.stats()}
        save(report)
        if args.only:
            # The one-change and move phases need every shard.
            report["targets"] = targets(report)
            return report

        bench.emulator.reset()
        person = args.people // 2 + 7
        bench.rewrite({person: {"jobTitle": "Changed title"}})
        started = time.monotonic()
        listed, listing_s = bench.changed()
        reached: list[float] = []

        def watch() -> None:
            while not reached:
                if bench.emulator.stats()["writes"] >= 1:
                    reached.append(time.monotonic() - started)
                    return
                time.sleep(0.25)

        watcher = futures.ThreadPoolExecutor(max_workers=1)
        watching = watcher.submit(watch)
        ups = bench.jobs(listed, "up", "--yes", "--skip-preview")
        watching.result(timeout=60)
        watcher.shutdown()
        report["one_change"] = {
            "listed": listed,
            "shards_changed_s": round(listing_s, 1),
            "reached_emulator_s": round(reached[0], 1) if reached else None,
            "total_s": round(time.monotonic() - started, 1),
            "jobs": ups,
            "emulator": bench.emulator.stats(),
        }
        save(report)

        bench.emulator.reset()
        moves = _moves(args.people, args.shards, share=0.01)
        bench.rewrite(moves)
        started = time.monotonic()
        listed, listing_s = bench.changed()
        ups = bench.jobs(listed, "up", "--yes", "--skip-preview")
        accounts = bench.accounts()
        stats = bench.emulator.stats()
        report["move"] = {
            "moved": len(moves),
            "listed": listed,
            "shards_changed_s": round(listing_s, 1),
            "wall_s": round(time.monotonic() - started, 1),
            "jobs": ups,
            "accounts": len(accounts),
            "active": sum(bool(u.get("active")) for u in accounts),
            "moved_in_new_department": sum(
                (u.get(ENTERPRISE) or {}).get("department") == moves[i]["department"]
                for u in accounts
                for i in [int(u["userName"][4:10])]
                if i in moves
            ),
            "emulator": stats,
        }
    finally:
        bench.emulator.stop()
    report["targets"] = targets(report)
    return report


def _moves(people: int, shards: int, share: float) -> dict[int, dict[str, str]]:
    """`share` of the tenant (not heads), all from departments of one shard to a department of
    another: the two shard jobs run at the same time, so the release and the adoption race."""
    from pulumi_workplace.directory import Person
    from pulumi_workplace.sharding import ShardSpec

    spec = ShardSpec(count=shards, key="department")

    def shard(department: str) -> int:
        person = Person(id="x", attributes={"userPrincipalName": "x@y", "department": department})
        return spec.shard_of(person)

    departments = [department_of(i) for i in range(0, people, DEPARTMENT_SIZE)]
    source = shard(departments[0])
    target = next(d for d in departments if shard(d) != source)
    candidates = [
        i for i in range(people) if i % DEPARTMENT_SIZE and shard(department_of(i)) == source
    ]
    wanted = int(people * share)
    step = max(1, len(candidates) // wanted)
    return {i: {"department": target} for i in candidates[::step][:wanted]}


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []

    def add(name: str, target: str, measured: Any, met: bool) -> None:
        checks.append({"name": name, "target": target, "measured": measured, "met": met})

    provision = report.get("provision") or {}
    add(
        "provision 100,000 from nothing",
        f"<= {TARGETS['provision_total_s']:.0f} s wall",
        provision.get("wall_s"),
        (provision.get("wall_s") or 1e9) <= TARGETS["provision_total_s"]
        and provision.get("active") == report["people"],
    )
    previews = (report.get("preview") or {}).get("jobs") or []
    slowest = max((j["wall_s"] for j in previews), default=None)
    add(
        "each shard's no-op preview",
        f"<= {TARGETS['preview_each_s']:.0f} s",
        slowest,
        bool(previews) and all(j["exit"] == 0 and j["wall_s"] <= 60 for j in previews),
    )
    jobs = [j for phase in ("first_pass", "fill_in_pass") for j in provision.get(phase, [])]
    jobs += previews + (report.get("one_change") or {}).get("jobs", [])
    jobs += (report.get("move") or {}).get("jobs", [])
    peak = max((j["peak_rss_mib"] for j in jobs), default=None)
    add("peak memory per shard job", "<= 2560 MiB", peak, peak is not None and peak <= 2560)
    change = report.get("one_change") or {}
    add(
        "one change reaches the emulator from `shards --changed`",
        "<= 90 s",
        change.get("reached_emulator_s"),
        (change.get("reached_emulator_s") or 1e9) <= TARGETS["one_change_s"]
        and len(change.get("listed") or []) == 1,
    )
    move = report.get("move") or {}
    stats = move.get("emulator") or {}
    add(
        "1% move: no deactivation, no create",
        "0 deactivated, 0 POST",
        {
            "active": move.get("active"),
            "POST": stats.get("by_method_kind", {}).get("POST users", 0),
        },
        move.get("active") == report["people"]
        and stats.get("by_method_kind", {}).get("POST users", 0) == 0
        and move.get("moved_in_new_department") == move.get("moved"),
    )
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--shards", type=int, default=10)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--only",
        type=int,
        metavar="K",
        help="provision and preview only shards 0..K-1 (of the whole directory), then stop: "
        "the per-shard numbers without the full run",
    )
    args = parser.parse_args()

    def save(report: dict[str, Any]) -> None:
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({**report, "targets": targets(report)}, indent=2))

    report = run(args, save)
    save(report)
    for check in report["targets"]:
        verdict = "MET " if check["met"] else "MISS"
        print(f"{verdict} {check['name']}: {check['measured']} ({check['target']})")
    return 0 if all(c["met"] for c in report["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
