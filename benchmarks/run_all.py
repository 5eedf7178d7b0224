"""Run the scale benchmark for several N and settings; regenerate docs/performance.{md,png}.

What `make bench` runs. Each run is `benchmarks/scale.py` in its own process, writing
`benchmarks/results/scale-<profile>-<N>.json`; then the generated part of docs/performance.md
(between the BEGIN/END GENERATED markers) and the chart docs/performance.png are rebuilt from
every result file present, so a partial run still updates the report.

    python benchmarks/run_all.py                       # all profiles, N = 100 1000 5000 10000
    python benchmarks/run_all.py --sizes 100 1000      # quicker
    python benchmarks/run_all.py --profiles recommended --sizes 10000
    python benchmarks/run_all.py --report-only         # only rebuild the docs from results/
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "performance.md"
CHART = ROOT / "docs" / "performance.png"
NA = "-"  # an empty table cell
BEGIN, END = "<!-- BEGIN GENERATED (benchmarks/run_all.py) -->", "<!-- END GENERATED -->"
PHASES = (
    "up_create",
    "preview_noop",
    "up_noop",
    "up_one",
    "up_10pct",
    "refresh",
    "up_deactivate",
)
PHASE_TITLES = {
    "up_create": "initial `up` (create N)",
    "preview_noop": "no-op `preview`",
    "up_noop": "no-op `up`",
    "up_one": "`up`, 1 person changed",
    "up_10pct": "`up`, 10% changed 1 attribute",
    "refresh": "`refresh`",
    "up_deactivate": "`up`, 10% unassigned",
}


@dataclass(frozen=True)
class Profile:
    """A named set of settings the benchmark runs with."""

    name: str
    title: str
    env: dict[str, str] = field(default_factory=dict)
    latency_ms: int = 0
    floor: bool = True
    max_users: int | None = None  # larger N take too long with these settings
    fixed_users: int | None = None  # run at this N only


# The settings docs/performance.md recommends for large stacks (see "Settings").
RECOMMENDED_ENV = {"PULUMI_SKIP_CHECKPOINTS": "true"}
PROFILES = {
    p.name: p
    for p in (
        Profile(
            "defaults",
            "CLI defaults: a checkpoint after every step",
            max_users=1000,  # 5,000 takes hours: the checkpoints make create O(N^2)
        ),
        Profile(
            "recommended",
            "recommended settings: PULUMI_SKIP_CHECKPOINTS=true",
            RECOMMENDED_ENV,
        ),
        Profile(
            "latency",
            "recommended settings, emulator latency 100 ms per request",
            RECOMMENDED_ENV,
            latency_ms=100,
            floor=False,
            fixed_users=1000,
        ),
    )
}


def result_path(profile: str, users: int) -> Path:
    """Where one run's JSON goes."""
    return RESULTS / f"scale-{profile}-{users}.json"


def run(profile: Profile, users: int) -> int:
    """Run scale.py once; return its exit code."""
    command = [sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--users", str(users)]
    command += ["--json", str(result_path(profile.name, users))]
    if profile.latency_ms:
        command += ["--latency-ms", str(profile.latency_ms)]
    if not profile.floor:
        command.append("--skip-floor")
    for key, value in profile.env.items():
        command += ["--env", f"{key}={value}"]
    # scale.py bounds every phase; this only guards against a hang outside the phases.
    budget = 3600 + 7 * (300 + 0.25 * users) * (2 if profile.floor else 1)
    print(f"## {profile.name} N={users}: {' '.join(command[1:])}", flush=True)
    started = time.time()
    try:
        code = subprocess.run(command, cwd=ROOT, timeout=budget, check=False).returncode
    except subprocess.TimeoutExpired:
        code = -1
    print(f"## {profile.name} N={users}: exit {code} after {time.time() - started:.0f} s")
    return code


# -- report -----------------------------------------------------------------------------------


def load_results() -> list[dict[str, Any]]:
    """Every result file, with its profile name, sorted by profile then N."""
    found = []
    for path in sorted(RESULTS.glob("scale-*-*.json")):
        data = json.loads(path.read_text())
        data["profile"] = path.stem.removeprefix("scale-").rsplit("-", 1)[0]
        found.append(data)
    rank = {name: index for index, name in enumerate(PROFILES)}
    found.sort(key=lambda d: (rank.get(d["profile"], len(rank)), d["users"]))
    return found


def _phase(series: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    if not series:
        return None
    return next((p for p in series["phases"] if p["phase"] == name), None)


def _seconds(phase: dict[str, Any] | None) -> str:
    if phase is None:
        return NA
    if phase["timed_out"]:
        return f"> {phase['timeout_s']} (timeout)"
    mark = "" if phase["exit_code"] == 0 else " (failed)"
    return f"{phase['seconds']:.1f}{mark}"


def _http(phase: dict[str, Any] | None) -> str:
    if phase is None or "http" not in phase:
        return NA
    http = phase["http"]
    kinds = ", ".join(f"{k} {v}" for k, v in http["by_method_kind"].items())
    return f"{http['total']} ({kinds})" if kinds else "0"


def _cpu(phase: dict[str, Any] | None) -> str:
    if phase is None:
        return NA
    procs = phase.get("processes", {})
    parts = [f"{procs[r]['cpu_s']:.0f}" if r in procs else NA for r in ("engine", "program")]
    parts.append(f"{procs['provider']['cpu_s']:.0f}" if "provider" in procs else NA)
    emulator = phase.get("emulator_cpu_s")
    parts.append(NA if emulator is None else f"{emulator:.0f}")
    return " / ".join(parts)


def _rss(phase: dict[str, Any] | None) -> str:
    procs = (phase or {}).get("processes", {})
    return f"{procs['provider']['peak_rss_mib']:.0f}" if "provider" in procs else NA


def table(result: dict[str, Any]) -> list[str]:
    """The markdown table of one run."""
    ours, floor = result.get("user"), result.get("floor")
    ratios = result.get("ratios") or {}
    lines = [
        "| phase | ours s | floor s | ours / floor | HTTP requests | writes | "
        "CPU s engine / program / provider / emulator | provider peak RSS MiB | other load CPU s |",
        "|---|---:|---:|---:|---|---:|---|---:|---:|",
    ]
    for name in PHASES:
        mine, base = _phase(ours, name), _phase(floor, name)
        if mine is None and base is None:
            continue
        ratio = ratios.get(name)
        writes = mine.get("http", {}).get("writes", NA) if mine else NA
        other = mine.get("machine", {}).get("other_cpu_s", NA) if mine else NA
        lines.append(
            f"| {PHASE_TITLES[name]} | {_seconds(mine)} | {_seconds(base)} | "
            f"{NA if ratio is None else f'{ratio:.2f}'} | {_http(mine)} | {writes} | "
            f"{_cpu(mine)} | {_rss(mine)} | {other} |"
        )
    if ours:
        per = ours.get("state_bytes_per_account")
        lines.append("")
        lines.append(
            f"State file: {ours['state_bytes']:,} bytes ({per:,.0f} per account)"
            + (
                f"; floor {floor['state_bytes']:,} bytes ({floor['state_bytes_per_account']:,.0f}"
                " per resource)."
                if floor
                else "."
            )
        )
        breakdown = ours.get("state_breakdown", {}).get("by_field")
        if breakdown:
            top = ", ".join(f"{k} {v}" for k, v in list(breakdown.items())[:6])
            lines.append(f"Mean bytes per account by state field: {top}.")
    return lines


def targets_table(result: dict[str, Any]) -> list[str]:
    """The issue's targets as evaluated by scale.py."""
    checks = result.get("targets") or []
    if not checks:
        return []
    lines = ["| target | limit | measured | met |", "|---|---|---|---|"]
    for check in checks:
        measured = check["measured"]
        if isinstance(measured, dict):
            measured = ", ".join(f"{k} {v}" for k, v in measured.items())
        met = {True: "yes", False: "**no**", None: NA}[check["met"]]
        lines.append(f"| {check['target']} | {check['limit']} | {measured} | {met} |")
    return lines


def machine_lines(results: list[dict[str, Any]]) -> list[str]:
    """The machine the newest run was measured on."""
    newest = max(results, key=lambda r: r.get("started", ""))
    m = newest["machine"]
    return [
        f"Measured on: {m['cpu_model']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux "
        f"{m['kernel']}; Python {m['python']}; Pulumi CLI {m['pulumi_cli']} (built locally), "
        f"Python SDK {m['pulumi_sdk']}; grpcio {m['grpcio']}, dill {m['dill']}, "
        f"httpx {m['httpx']}. File backend on local disk; emulator in its own process.",
    ]


def generated(results: list[dict[str, Any]]) -> str:
    """The generated section of docs/performance.md."""
    lines = [BEGIN, "", *machine_lines(results), ""]
    lines.append(
        "Columns: *ours* = `pulumi_workplace.User` against the emulator; *floor* = the same "
        "graph of `Echo` resources (no I/O), run interleaved phase by phase; CPU is summed over "
        "the phase from /proc samples (engine = the `pulumi` Go process); *other load* = CPU "
        "seconds other programs on the machine used during the phase."
    )
    for profile in [*PROFILES, *sorted({r["profile"] for r in results} - set(PROFILES))]:
        runs = [r for r in results if r["profile"] == profile]
        if not runs:
            continue
        title = PROFILES[profile].title if profile in PROFILES else profile
        lines += ["", f"### Profile `{profile}`: {title}"]
        for result in runs:
            extra = f", emulator latency {result['latency_ms']} ms" if result["latency_ms"] else ""
            env = " ".join(f"{k}={v}" for k, v in result.get("env", {}).items())
            lines += [
                "",
                f"#### N = {result['users']:,}{extra}",
                "",
                f"Started {result['started']}, {result['total_seconds'] / 60:.0f} min in all"
                + (f"; env `{env}`" if env else "")
                + ".",
                "",
                *table(result),
            ]
            checks = targets_table(result)
            if checks:
                lines += ["", *checks]
    lines += ["", "![Seconds per phase against N](performance.png)", "", END]
    return "\n".join(lines)


def write_doc(results: list[dict[str, Any]]) -> None:
    """Replace the generated section of docs/performance.md (create the file if needed)."""
    section = generated(results)
    if DOC.exists() and BEGIN in DOC.read_text() and END in DOC.read_text():
        text = DOC.read_text()
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        DOC.write_text(head + section + tail)
    else:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text("# Performance at scale\n\n## Results\n\n" + section + "\n")


def write_chart(results: list[dict[str, Any]]) -> bool:
    """Seconds per phase against N on log scales, one panel per profile with a floor."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: chart not written", file=sys.stderr)
        return False
    panels = [p for p in PROFILES if any(r["profile"] == p and r.get("floor") for r in results)]
    if not panels:
        return False
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5.5 * len(panels), 5.2), squeeze=False, sharey=True
    )
    colors = plt.get_cmap("tab10")
    for ax, profile in zip(axes[0], panels, strict=True):
        runs = [r for r in results if r["profile"] == profile]
        for index, name in enumerate(PHASES):
            for side, style in (("user", "-"), ("floor", ":")):
                points = [
                    (r["users"], p["seconds"])
                    for r in runs
                    if (p := _phase(r.get(side), name)) and p["exit_code"] == 0
                ]
                if points:
                    xs, ys = zip(*points, strict=True)
                    label = f"{PHASE_TITLES[name].replace('`', '')}" if side == "user" else None
                    ax.plot(xs, ys, style, marker="o", color=colors(index), label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N (accounts)")
        ax.set_ylabel("seconds")
        ax.set_title(f"{profile}: solid = User, dotted = Echo floor", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    CHART.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(CHART, dpi=110)
    plt.close(fig)
    return True


def main() -> int:
    """Run the benchmarks, then rebuild the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000, 10000])
    parser.add_argument("--profiles", nargs="+", choices=list(PROFILES), default=list(PROFILES))
    parser.add_argument("--report-only", action="store_true", help="only rebuild the docs")
    args = parser.parse_args()
    failures = 0
    if not args.report_only:
        for name in args.profiles:
            profile = PROFILES[name]
            sizes = [profile.fixed_users] if profile.fixed_users else args.sizes
            for users in sizes:
                if profile.max_users is not None and users > profile.max_users:
                    print(f"## {name} N={users}: skipped (above {profile.max_users})")
                    continue
                failures += run(profile, users) != 0
    results = load_results()
    if results:
        write_doc(results)
        write_chart(results)
        print(f"wrote {DOC.relative_to(ROOT)} and {CHART.relative_to(ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
