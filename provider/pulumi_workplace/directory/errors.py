"""Errors raised for bad input: each carries every problem found, one line per problem."""

from __future__ import annotations

from collections.abc import Iterable

MAX_LINES = 50
"""At most this many problems are spelled out in the message; `problems` keeps them all."""


class InputError(ValueError):
    """Bad input: `problems` lists each problem as one self-contained line."""

    def __init__(self, problems: str | Iterable[str], *, summary: str | None = None) -> None:
        lines = (problems,) if isinstance(problems, str) else tuple(problems)
        self.problems: tuple[str, ...] = lines
        self.summary = summary
        super().__init__(format_problems(lines, summary=summary))


def format_problems(problems: Iterable[str], *, summary: str | None = None) -> str:
    """One problem as is; several under a summary, capped at `MAX_LINES`."""
    lines = list(problems)
    if len(lines) == 1 and summary is None:
        return lines[0]
    head = summary or f"{len(lines)} problems"
    # A problem may span lines (an expression with a caret under the fault): indent them all.
    shown = ["  " + line.replace("\n", "\n    ") for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown.append(f"  ... and {len(lines) - MAX_LINES} more ({len(lines)} in total)")
    return "\n".join([f"{head}:", *shown])


class DirectoryError(InputError):
    """A directory source (file or Microsoft Graph) cannot be read or is inconsistent."""
