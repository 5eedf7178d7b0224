"""The `pulumi-workplace report` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pulumi_workplace.operations.log import scan_log
from pulumi_workplace.operations.report import render_markdown, render_terminal, summarise

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2


def add_parser(subparsers: Any) -> None:
    """Add the `report` sub-command to the `pulumi-workplace` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="summarise a provisioning log",
        description="Count the records of a provisioning log by action and status and list "
        "the failures, as an aligned table or as Markdown for a CI job summary.",
    )
    add = parser.add_argument
    add("log", type=Path, metavar="LOG", help="the provisioning log (JSON Lines)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--run-id", metavar="ID", help="only the records of this run")
    which.add_argument(
        "--latest", action="store_true", help="only the records of the last run in the log"
    )
    add("--format", choices=["terminal", "markdown"], default="terminal")
    add("--output", type=Path, metavar="FILE", help="write to FILE instead of standard output")
    add("--append", action="store_true", help="append to --output (e.g. $GITHUB_STEP_SUMMARY)")
    add(
        "--fail-on-failures",
        action="store_true",
        help="exit 1 when the report has a failed record",
    )
    add("--max-failures", type=int, default=50, metavar="N", help="failures listed (default 50)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print or write the report; the exit code follows --fail-on-failures."""
    try:
        scan = scan_log(args.log)
    except FileNotFoundError:
        print(f"report: no provisioning log at {args.log}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"report: cannot read {args.log}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    if scan.bad_lines:
        shown = ", ".join(str(n) for n in scan.bad_lines[:10])
        print(f"report: skipped unreadable line(s) {shown} of {args.log}", file=sys.stderr)
    records = scan.records
    run_id = args.run_id
    if args.latest and records:
        run_id = records[-1].run_id
    if run_id is not None:
        records = [entry for entry in records if entry.run_id == run_id]
    summary = summarise(records)
    if args.format == "markdown":
        text = render_markdown(summary, max_failures=args.max_failures)
    else:
        # Colour only on a terminal, never into a file.
        colour = None if args.output is None else False
        text = render_terminal(summary, colour=colour, max_failures=args.max_failures)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        with args.output.open("a" if args.append else "w", encoding="utf-8") as handle:
            handle.write(text)
    if args.fail_on_failures and summary.failed:
        return EXIT_FAILURES
    return EXIT_OK
