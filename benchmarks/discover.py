"""Account discovery benchmark: `pulumi-workplace discover` on a tenant of N accounts (issue #18).

The emulator (a separate process) starts from a generated data file of N accounts: 90% belong
to people of the directory (a CSV of 0.9 N people, `scope: all`), 10% to nobody. One stack of a
generated project points at it (local file backend, never deployed). Measured: wall seconds of
the command (reading config and state through the pulumi CLI, loading the directory, mapping
every person, the listing, classifying, writing JSON), the requests the emulator served, and
the counts per class. Targets (issue #18): at most N/100 + 10 requests; under 120 s at 100,000.

    python benchmarks/discover.py --accounts 100000 --json benchmarks/results/discover.json
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
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from scale import PASSPHRASE, STRIPPED_ENV, TOKEN, TOOLS_BIN, Emulator, machine, pulumi_cli

PROJECT = "wp-discover"
STACK = "discover"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
_DISCOVER = (sys.executable, "-m", "pulumi_workplace.cli", "discover")


def _people(count: int) -> list[dict[str, str]]:
    return [
        {
            "id": f"obj-{i:07d}",
            "userPrincipalName": f"p{i:07d}@contoso.com",
            "mail": f"p{i:07d}@contoso.com",
            "givenName": "Pat",
            "surname": f"N{i}",
            "displayName": f"Pat N{i}",
            "department": f"D{i % 100}",
            "accountEnabled": "true",
        }
        for i in range(count)
    ]


def _data_file(path: Path, accounts: int, matched: int) -> None:
    """An emulator data file (header + one `put` per account): `matched` belong to people."""
    with path.open("w") as out:
        header = {"format": "pulumi-workplace-emulator", "version": 1, "next_id": accounts + 1}
        out.write(json.dumps(header) + "\n")
        for i in range(accounts):
            name = f"p{i:07d}@contoso.com" if i < matched else f"nobody{i:07d}@contoso.com"
            user = {
                "schemas": [CORE],
                "id": str(100_000_000_000_000 + i),
                "userName": name,
                "name": {"givenName": "Pat", "familyName": f"N{i}"},
                "active": i % 7 != 0,
            }
            out.write(json.dumps({"put": user}, separators=(",", ":")) + "\n")


def run(accounts: int) -> dict[str, object]:
    matched = accounts * 9 // 10
    with tempfile.TemporaryDirectory(prefix="wp-discover-") as tmp:
        base = Path(tmp)
        workdir = base / "project"
        workdir.mkdir()
        for name in ("state", "home"):
            (base / name).mkdir()
        people = _people(matched)
        with (workdir / "people.csv").open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(people[0]))
            writer.writeheader()
            writer.writerows(people)
        data = base / "tenant.jsonl"
        _data_file(data, accounts, matched)
        started = time.monotonic()
        emulator = Emulator(0, ("--data", str(data)))
        loaded_s = time.monotonic() - started
        try:
            (workdir / "Pulumi.yaml").write_text(
                yaml.safe_dump(
                    {
                        "name": PROJECT,
                        "runtime": {"name": "python", "options": {"virtualenv": sys.prefix}},
                        "config": {
                            "workplace:directory": {
                                "value": {"format": "csv", "people": "people.csv"}
                            },
                            "workplace:scope": {"value": "all"},
                            "workplace:tenantUrl": {"value": emulator.url},
                        },
                    },
                    sort_keys=False,
                )
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
                    "WORKPLACE_TOKEN": TOKEN,
                }
            )
            subprocess.run(
                [pulumi_cli(), "stack", "init", STACK, "--non-interactive"],
                cwd=workdir,
                env=env,
                check=True,
                capture_output=True,
            )
            emulator.reset()
            cpu_before = emulator.cpu_s()
            out = base / "census.json"
            started = time.monotonic()
            result = subprocess.run(
                [*_DISCOVER, "--stack", STACK, "--format", "json", "--output", str(out)],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.monotonic() - started
            if result.returncode != 0:
                raise SystemExit(f"discover failed: {result.stderr}")
            stats = emulator.stats()
            emulator_cpu = emulator.cpu_s() - cpu_before
        finally:
            emulator.stop()
        census = json.loads((base / "census.json").read_text())
    requests = stats["total"]
    limit = accounts // 100 + 10
    return {
        "machine": machine(),
        "accounts": accounts,
        "people": matched,
        "emulator_load_s": round(loaded_s, 1),
        "wall_s": round(wall, 1),
        "emulator_cpu_s": round(emulator_cpu, 1),
        "requests": requests,
        "by_method_kind": stats["by_method_kind"],
        "counts": census["counts"],
        "targets": {
            "requests": {"limit": limit, "measured": requests, "met": requests <= limit},
            "wall_s": {"limit": 120, "measured": round(wall, 1), "met": wall < 120},
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    results = run(args.accounts)
    text = json.dumps(results, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
