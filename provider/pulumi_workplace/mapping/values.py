"""Values inside expression evaluation and the conversions between them.

Entra ID's expressions are string-based: booleans read and print as `True` / `False`,
date-times print as `M/d/yyyy h:mm:ss tt`, an empty string counts as null.
"""

from __future__ import annotations

import datetime as dt

from pulumi_workplace.errors import WorkplaceError
from pulumi_workplace.mapping import dates

Value = str | bool | int | dt.datetime | list[str] | None


class EvaluationError(WorkplaceError):
    """An expression cannot be evaluated for this person (bad data, not bad syntax)."""


def is_empty(value: Value) -> bool:
    """Null, an empty string or an empty list."""
    return value is None or value == "" or value == []


def to_text(value: Value) -> str | None:
    """The string form of a single value; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return dates.format_entra(value)
    if isinstance(value, list):
        if len(value) == 1:
            return value[0]
        raise EvaluationError(f"expected one value, got a list of {len(value)}: {value!r}")
    return value


def to_int(value: Value, what: str) -> int:
    """An integer from an integer or its decimal text."""
    if isinstance(value, bool):
        raise EvaluationError(f"{what} must be a number, got {to_text(value)!r}")
    if isinstance(value, int):
        return value
    text = to_text(value)
    try:
        return int(str(text).strip())
    except ValueError:
        raise EvaluationError(f"{what} must be a number, got {text!r}") from None


def truthy(value: Value, what: str) -> bool:
    """A condition's truth: booleans, `True`/`False` text (any case), numbers (non-zero)."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    text = to_text(value) or ""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(lowered) != 0
    except ValueError:
        raise EvaluationError(f"{what} must be True or False, got {text!r}") from None


def to_datetime(value: Value, what: str) -> dt.datetime | None:
    """A UTC date-time from a date-time or date text; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return dates.to_utc(value)
    text = to_text(value) or ""
    try:
        return dates.parse_datetime(text)
    except ValueError:
        raise EvaluationError(f"{what}: {text!r} is not a date") from None


def as_list(value: Value) -> list[str]:
    """The values of a possibly multi-valued value; null is no value."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [to_text(value) or ""]


class SkipFlow(Exception):
    """Raised by `IgnoreFlowIfNullOrEmpty`: the attribute is left out of the flow."""
