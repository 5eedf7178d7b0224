"""Convert a mapped value to its target attribute's type (see `attributes.ATTRIBUTES`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pulumi_workplace.attributes import Attribute
from pulumi_workplace.errors import WorkplaceError
from pulumi_workplace.mapping import dates
from pulumi_workplace.mapping.values import EvaluationError, is_empty, to_text

TargetValue = str | bool | int | None
"""A value ready for a Workplace attribute; None means "no value"."""


class ConversionError(WorkplaceError, ValueError):
    """The value cannot be written to the attribute's type."""


def convert(value: Any, attribute: Attribute) -> TargetValue:
    """`value` as the attribute's type: text for strings; whole numbers or dates (as Unix
    seconds) for integers; true/false, 1/0 for booleans. Empty values become None."""
    if is_empty(value):
        return None
    if isinstance(value, list) and len(value) > 1:
        raise ConversionError(
            f"{attribute.key} takes one value, got {len(value)} ({value!r}); use Join or Item"
        )
    if isinstance(value, list):
        value = value[0]
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if not isinstance(value, str | bool | int | dt.datetime):
        raise ConversionError(f"cannot use a {type(value).__name__} ({value!r})")
    try:
        if attribute.type == "integer":
            return _integer(value)
        if attribute.type == "boolean":
            return _boolean(value)
        return to_text(value)
    except EvaluationError as exc:
        raise ConversionError(str(exc)) from None


def _integer(value: str | bool | int | dt.datetime) -> int:
    if isinstance(value, bool):
        raise ConversionError(f"cannot convert {value!r} to an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        return dates.to_epoch_seconds(value)
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        # A date (an ISO hire date, say) becomes Unix seconds, as startDate expects.
        return dates.to_epoch_seconds(dates.parse_datetime(text))
    except ValueError:
        raise ConversionError(
            f"cannot convert {value!r} to an integer (expected a whole number or a date)"
        ) from None


def _boolean(value: str | bool | int | dt.datetime) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ConversionError(f"cannot convert {value!r} to a boolean (expected true or false)")
