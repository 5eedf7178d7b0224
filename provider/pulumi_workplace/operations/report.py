"""Run summaries of the provisioning log, rendered for a terminal or as Markdown for CI."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from pulumi_workplace.operations._escape import display_width, markdown_cell, terminal_cell
from pulumi_workplace.operations.log import ACTIONS, STATUSES, LogRecord

__all__ = ["Failure", "RunSummary", "render_markdown", "render_terminal", "summarise"]

# A GitHub job summary is capped at 1 MiB; a long failure list is cut, with a count of the rest.
DEFAULT_MAX_FAILURES = 50
_NO_VALUE = "\u2013"  # an en dash: a bare "-" would read as a formula prefix


class Failure(BaseModel):
    """One failed record: who, what, and why."""

    model_config = ConfigDict(frozen=True)

    time: datetime
    run_id: str
    person: str | None
    workplace_id: str | None
    action: str
    http_status: int | None
    reason: str


class RunSummary(BaseModel):
    """Counts and failures of one or more provisioning runs."""

    model_config = ConfigDict(frozen=True)

    total: int = 0
    by_action: dict[str, int] = Field(default_factory=dict)
    by_status: dict[str, int] = Field(default_factory=dict)
    by_action_status: dict[str, dict[str, int]] = Field(default_factory=dict)
    """action -> status -> count; only pairs that occurred."""
    failures: list[Failure] = Field(default_factory=list)
    runs: list[str] = Field(default_factory=list)
    """Run ids in the order they first appear."""
    stacks: list[str] = Field(default_factory=list)
    not_kept: dict[str, int] = Field(default_factory=dict)
    """Attribute -> accounts where the server did not keep the value written."""
    unmanaged: list[str] = Field(default_factory=list)
    """Per run, the line naming the accounts that match no person (workplace:unmanagedAccounts)."""
    first_time: datetime | None = None
    last_time: datetime | None = None

    @property
    def failed(self) -> int:
        """Number of records with status "failure"."""
        return self.by_status.get("failure", 0)


_UNMANAGED_TITLE = "Accounts that match no person in the directory"


def summarise(records: Iterable[LogRecord]) -> RunSummary:
    """Count records by action and status, and list the failures."""
    by_action: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    pairs: dict[str, Counter[str]] = {}
    failures: list[Failure] = []
    not_kept: Counter[str] = Counter()
    unmanaged: dict[str, str] = {}
    runs: dict[str, None] = {}
    stacks: dict[str, None] = {}
    first: datetime | None = None
    last: datetime | None = None
    total = 0
    for entry in records:
        total += 1
        by_action[entry.action] += 1
        by_status[entry.status] += 1
        pairs.setdefault(entry.action, Counter())[entry.status] += 1
        runs.setdefault(entry.run_id)
        stacks.setdefault(entry.stack)
        first = entry.time if first is None or entry.time < first else first
        last = entry.time if last is None or entry.time > last else last
        if entry.action == "not_kept":
            not_kept.update(change.attribute for change in entry.changes)
        if entry.action == "unmanaged" and entry.error:
            unmanaged[entry.run_id] = entry.error
        if entry.status == "failure":
            failures.append(
                Failure(
                    time=entry.time,
                    run_id=entry.run_id,
                    person=entry.person,
                    workplace_id=entry.workplace_id,
                    action=entry.action,
                    http_status=entry.http_status,
                    reason=entry.error or "(no reason recorded)",
                )
            )
    return RunSummary(
        total=total,
        by_action=_ordered(by_action, ACTIONS),
        by_status=_ordered(by_status, STATUSES),
        by_action_status={
            action: _ordered(pairs[action], STATUSES) for action in _ordered(by_action, ACTIONS)
        },
        failures=failures,
        not_kept=dict(sorted(not_kept.items())),
        unmanaged=list(unmanaged.values()),
        runs=list(runs),
        stacks=list(stacks),
        first_time=first,
        last_time=last,
    )


def _ordered(counts: Counter[str], order: Sequence[str]) -> dict[str, int]:
    # Known names in their documented order, then anything else alphabetically.
    known = [name for name in order if counts.get(name)]
    return {name: counts[name] for name in known + sorted(set(counts) - set(order))}


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else _NO_VALUE


def _scope(summary: RunSummary) -> str:
    runs = summary.runs
    stacks = ", ".join(summary.stacks) or _NO_VALUE
    run_text = f"run {runs[0]}" if len(runs) == 1 else f"{len(runs)} runs"
    return f"stack {stacks}, {run_text}, {_time(summary.first_time)} to {_time(summary.last_time)}"


def _count_rows(summary: RunSummary) -> list[list[str]]:
    rows = []
    for action, statuses in summary.by_action_status.items():
        counts = [str(statuses.get(status, 0)) for status in STATUSES]
        rows.append([action, *counts, str(summary.by_action[action])])
    totals = [str(summary.by_status.get(status, 0)) for status in STATUSES]
    rows.append(["total", *totals, str(summary.total)])
    return rows


def _failure_row(failure: Failure) -> list[str]:
    return [
        _time(failure.time),
        failure.person or _NO_VALUE,
        failure.workplace_id or _NO_VALUE,
        failure.action,
        str(failure.http_status) if failure.http_status is not None else _NO_VALUE,
        failure.reason,
    ]


_COUNT_HEADER = ["action", *STATUSES, "total"]
_NOT_KEPT_TITLE = "Not kept by the server (not planned as updates until a value changes)"
_NOT_KEPT_HEADER = ["attribute", "accounts"]


def _not_kept_rows(summary: RunSummary) -> list[list[str]]:
    return [[attribute, str(count)] for attribute, count in summary.not_kept.items()]


_FAILURE_HEADER = ["time", "person", "workplace id", "action", "http", "reason"]


# -- terminal --------------------------------------------------------------------------------

_BOLD, _RED, _GREEN, _RESET = "\x1b[1m", "\x1b[31m", "\x1b[32m", "\x1b[0m"


def _use_colour(colour: bool | None) -> bool:
    if colour is not None:
        return colour
    # https://no-color.org: any non-empty NO_COLOR turns colour off.
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _table(header: list[str], rows: list[list[str]], numeric: set[int]) -> list[str]:
    cells = [[terminal_cell(cell) for cell in row] for row in [header, *rows]]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        padded = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - display_width(cell))
            padded.append(pad + cell if i in numeric else cell + pad)
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return [line(cells[0]), rule, *(line(row) for row in cells[1:])]


def _paint(text: str, code: str, colour: bool) -> str:
    return f"{code}{text}{_RESET}" if colour else text


def render_terminal(
    summary: RunSummary,
    *,
    colour: bool | None = None,
    max_failures: int = DEFAULT_MAX_FAILURES,
) -> str:
    """An aligned plain-text report; ANSI colour only when `colour` (default: stdout is a TTY)."""
    use = _use_colour(colour)
    out = [_paint("Workplace provisioning report", _BOLD, use), terminal_cell(_scope(summary)), ""]
    if summary.total == 0:
        out.append("No records.")
        return "\n".join(out) + "\n"
    out += _table(_COUNT_HEADER, _count_rows(summary), numeric=set(range(1, 6)))
    out.append("")
    if summary.not_kept:
        out.append(_NOT_KEPT_TITLE)
        out += _table(_NOT_KEPT_HEADER, _not_kept_rows(summary), numeric={1})
        out.append("")
    if summary.unmanaged:
        out.append(_UNMANAGED_TITLE)
        out += [terminal_cell(line) for line in summary.unmanaged]
        out.append("")
    if not summary.failures:
        out.append(_paint("No failures.", _GREEN, use))
        return "\n".join(out) + "\n"
    out.append(_paint(f"Failures ({len(summary.failures)})", _RED, use))
    shown = summary.failures[:max_failures]
    out += _table(_FAILURE_HEADER, [_failure_row(f) for f in shown], numeric={4})
    if len(summary.failures) > len(shown):
        out.append(f"... and {len(summary.failures) - len(shown)} more (see the log)")
    return "\n".join(out) + "\n"


# -- Markdown --------------------------------------------------------------------------------


def _markdown_table(header: list[str], rows: list[list[str]], numeric: set[int]) -> list[str]:
    align = ["---:" if i in numeric else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(markdown_cell(h) for h in header) + " |"]
    lines.append("| " + " | ".join(align) + " |")
    lines += ["| " + " | ".join(markdown_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def render_markdown(summary: RunSummary, *, max_failures: int = DEFAULT_MAX_FAILURES) -> str:
    """A Markdown report for a CI job summary (e.g. `$GITHUB_STEP_SUMMARY`)."""
    failed = summary.failed
    mark = "❌" if failed else "✅"
    out = [f"## {mark} Workplace provisioning", "", markdown_cell(_scope(summary)), ""]
    if summary.total == 0:
        out.append("No records.")
        return "\n".join(out) + "\n"
    out += _markdown_table(_COUNT_HEADER, _count_rows(summary), numeric=set(range(1, 6)))
    out.append("")
    if summary.not_kept:
        out += [f"### {_NOT_KEPT_TITLE}", ""]
        out += _markdown_table(_NOT_KEPT_HEADER, _not_kept_rows(summary), numeric={1})
        out.append("")
    if summary.unmanaged:
        out += [f"### {_UNMANAGED_TITLE}", ""]
        out += [f"- {markdown_cell(line)}" for line in summary.unmanaged]
        out.append("")
    if not summary.failures:
        out.append("No failures.")
        return "\n".join(out) + "\n"
    out += [f"### Failures ({len(summary.failures)})", ""]
    shown = summary.failures[:max_failures]
    out += _markdown_table(_FAILURE_HEADER, [_failure_row(f) for f in shown], numeric={4})
    if len(summary.failures) > len(shown):
        out += ["", f"... and {len(summary.failures) - len(shown)} more (see the log)."]
    return "\n".join(out) + "\n"
