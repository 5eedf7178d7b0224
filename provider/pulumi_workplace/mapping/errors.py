"""Errors of mappings, expressions and scoping filters."""

from __future__ import annotations

from pulumi_workplace.errors import InputError, WorkplaceError


class MappingError(InputError):
    """A mapping is invalid, or cannot be evaluated for a person; names the mapping (and person)."""


class ScopingError(InputError):
    """A scoping filter is invalid; names the filter and the clause."""


class ExpressionError(WorkplaceError, ValueError):
    """An expression problem at a position; `render()` shows the line with a caret."""

    def __init__(self, problem: str, text: str, line: int, column: int) -> None:
        self.problem = problem
        self.text = text
        self.line = line
        self.column = column
        super().__init__(self.render())

    def render(self) -> str:
        """`problem at line L, column C:` then the source line and a caret under the column."""
        lines = self.text.splitlines() or [""]
        source = lines[min(self.line, len(lines)) - 1]
        caret = " " * (self.column - 1) + "^"
        return f"{self.problem} at line {self.line}, column {self.column}:\n  {source}\n  {caret}"
