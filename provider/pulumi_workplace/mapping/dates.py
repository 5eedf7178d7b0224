"""Dates as Entra ID expressions handle them: parsing, .NET format strings, AD ticks.

All date-times are timezone-aware UTC. Entra ID prints them as `M/d/yyyy h:mm:ss tt`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

UTC = dt.UTC
_AD_EPOCH = dt.datetime(1601, 1, 1, tzinfo=UTC)
_UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_DATE_WITH_OFFSET = re.compile(r"(\d{4}-\d{2}-\d{2})([+-]\d{2}:?\d{2}|Z)")
_FALLBACK_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%Y%m%d%H%M%S.%fZ",
    "%Y%m%d%H%M%SZ",
    "%Y%m%d",
)


def parse_datetime(text: str) -> dt.datetime:
    """A date-time from ISO 8601 (also `2020-03-16-07:00`), `M/d/yyyy h:mm:ss tt` or
    LDAP generalised time; no zone means UTC. `ValueError` when none fits."""
    value = text.strip()
    match = _DATE_WITH_OFFSET.fullmatch(value)
    if match:
        value = f"{match.group(1)}T00:00:00{match.group(2)}"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        parsed = _parse_fallback(value)
    return to_utc(parsed)


def _parse_fallback(value: str) -> dt.datetime:
    for fmt in _FALLBACK_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date Entra ID understands (use ISO 8601)")


def to_utc(value: dt.datetime) -> dt.datetime:
    """`value` in UTC; a naive value is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_entra(value: dt.datetime) -> str:
    """Entra ID's date-time text: `M/d/yyyy h:mm:ss tt`, e.g. `3/16/2020 7:00:00 AM`."""
    value = to_utc(value)
    hour = value.hour % 12 or 12
    half = "AM" if value.hour < 12 else "PM"
    clock = f"{hour}:{value.minute:02d}:{value.second:02d} {half}"
    return f"{value.month}/{value.day}/{value.year} {clock}"


def to_epoch_seconds(value: dt.datetime) -> int:
    """Unix time in whole seconds (Workplace's startDate / termDate)."""
    return int((to_utc(value) - _UNIX_EPOCH).total_seconds())


def to_ad_ticks(value: dt.datetime) -> int:
    """Active Directory's date number: 100-ns intervals since 1601-01-01 UTC."""
    delta = to_utc(value) - _AD_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def from_ad_ticks(ticks: int) -> dt.datetime:
    """The date-time an Active Directory date number stands for."""
    return _AD_EPOCH + dt.timedelta(microseconds=ticks // 10)


# Intervals of DateAdd and DateDiff, as Entra ID (VBA) names them.
INTERVALS = ("yyyy", "m", "d", "ww", "h", "n", "s")


def add_interval(interval: str, amount: int, value: dt.datetime) -> dt.datetime:
    """`DateAdd`: months and years keep the day, clamped to the month's last day."""
    if interval in ("yyyy", "m"):
        months = amount * 12 if interval == "yyyy" else amount
        total = value.year * 12 + value.month - 1 + months
        year, month = divmod(total, 12)
        day = min(value.day, calendar.monthrange(year, month + 1)[1])
        return value.replace(year=year, month=month + 1, day=day)
    seconds = {"d": 86_400, "ww": 7 * 86_400, "h": 3_600, "n": 60, "s": 1}[interval]
    return value + dt.timedelta(seconds=seconds * amount)


def diff_interval(interval: str, first: dt.datetime, second: dt.datetime) -> int:
    """`DateDiff`: `second - first` counted in `interval` units, as VBA counts them.

    Years and months count calendar boundaries, `ww` counts Sundays crossed, the rest
    truncate the elapsed time.
    """
    first, second = to_utc(first), to_utc(second)
    if interval == "yyyy":
        return second.year - first.year
    if interval == "m":
        return (second.year - first.year) * 12 + second.month - first.month
    if interval == "ww":

        def sunday(day: dt.date) -> dt.date:
            return day - dt.timedelta(days=(day.weekday() + 1) % 7)

        return (sunday(second.date()) - sunday(first.date())).days // 7
    seconds = (second - first).total_seconds()
    unit = {"d": 86_400, "h": 3_600, "n": 60, "s": 1}[interval]
    return int(seconds / unit)


# .NET custom date and time format strings (FormatDateTime).

_SPECIFIERS = "yMdHhmsfFtzK"


def _tokens(fmt: str) -> list[tuple[str, str]]:
    """(kind, text) pairs: kind `lit` for literal text, else the repeated specifier."""
    tokens: list[tuple[str, str]] = []
    index = 0
    while index < len(fmt):
        char = fmt[index]
        if char in ("'", '"'):
            end = fmt.find(char, index + 1)
            end = len(fmt) if end < 0 else end
            tokens.append(("lit", fmt[index + 1 : end]))
            index = end + 1
        elif char == "\\" and index + 1 < len(fmt):
            tokens.append(("lit", fmt[index + 1]))
            index += 2
        elif char == "%":
            index += 1
        elif char in _SPECIFIERS:
            end = index
            while end < len(fmt) and fmt[end] == char:
                end += 1
            tokens.append((char, fmt[index:end]))
            index = end
        else:
            tokens.append(("lit", char))
            index += 1
    return tokens


def format_dotnet(value: dt.datetime, fmt: str) -> str:
    """`value` written with a .NET custom format string (`yyyy-MM-dd`, `M/d/yyyy h:mm tt`)."""
    out: list[str] = []
    for kind, text in _tokens(fmt):
        count = len(text)
        if kind == "lit":
            out.append(text)
        elif kind == "y":
            year = value.year if count > 2 else value.year % 100
            out.append(f"{year:0{count}d}")
        elif kind == "M":
            months = calendar.month_name if count >= 4 else calendar.month_abbr
            out.append(months[value.month] if count >= 3 else f"{value.month:0{count}d}")
        elif kind == "d":
            days = calendar.day_name if count >= 4 else calendar.day_abbr
            out.append(days[value.weekday()] if count >= 3 else f"{value.day:0{count}d}")
        elif kind in "Hhms":
            number = {
                "H": value.hour,
                "h": value.hour % 12 or 12,
                "m": value.minute,
                "s": value.second,
            }[kind]
            out.append(f"{number:0{min(count, 2)}d}")
        elif kind in "fF":
            digits = f"{value.microsecond:06d}0"[:count]
            out.append(digits.rstrip("0") if kind == "F" else digits)
        elif kind == "t":
            out.append(("AM" if value.hour < 12 else "PM")[:count])
        else:  # z and K: the offset
            out.append(_offset(value, count if kind == "z" else 3))
    return "".join(out)


def _offset(value: dt.datetime, count: int) -> str:
    offset = value.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    if count == 1:
        return f"{sign}{hours}"
    if count == 2:
        return f"{sign}{hours:02d}"
    return f"{sign}{hours:02d}:{minutes:02d}"


def parse_dotnet(text: str, fmt: str) -> dt.datetime:
    """Read `text` written with a .NET custom format string; no zone means UTC."""
    pattern: list[str] = []
    for kind, token in _tokens(fmt):
        count = len(token)
        if kind == "lit":
            pattern.append(re.escape(token))
        elif kind == "y":
            pattern.append(rf"(?P<y>\d{{{count}}})" if count > 2 else r"(?P<y2>\d{1,2})")
        elif kind == "M" and count >= 3:
            pattern.append(r"(?P<Mname>[A-Za-z]+)")
        elif kind == "d" and count >= 3:
            pattern.append(r"[A-Za-z]+")
        elif kind in "MdHhms":
            group = {"M": "M", "d": "d", "H": "H", "h": "h", "m": "mi", "s": "s"}[kind]
            digits = r"\d{2}" if count >= 2 else r"\d{1,2}"
            pattern.append(f"(?P<{group}>{digits})")
        elif kind in "fF":
            pattern.append(rf"(?P<f>\d{{1,{count}}})")
        elif kind == "t":
            pattern.append(r"(?P<t>[AaPp][Mm]?)")
        else:
            pattern.append(r"(?P<z>Z|[+-]\d{1,2}(?::?\d{2})?)")
    match = re.fullmatch("".join(pattern), text.strip())
    if match is None:
        raise ValueError(f"{text!r} does not match the date format {fmt!r}")
    parts = match.groupdict()
    year = int(parts["y"]) if parts.get("y") else 2000 + int(parts.get("y2") or 0)
    month = int(parts["M"]) if parts.get("M") else 1
    if parts.get("Mname"):
        month = _month_number(parts["Mname"])
    hour = int(parts.get("H") or parts.get("h") or 0)
    if parts.get("t") and parts.get("h"):
        hour = hour % 12 + (12 if parts["t"][0] in "Pp" else 0)
    fraction = (parts.get("f") or "").ljust(6, "0")[:6]
    value = dt.datetime(
        year,
        month,
        int(parts.get("d") or 1),
        hour,
        int(parts.get("mi") or 0),
        int(parts.get("s") or 0),
        int(fraction or 0),
    )
    zone = parts.get("z")
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours, minutes = (
            (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
        )
        offset = dt.timedelta(hours=hours, minutes=minutes) * sign
        return (value - offset).replace(tzinfo=UTC)
    return value.replace(tzinfo=UTC)


def _month_number(name: str) -> int:
    lowered = name.lower()
    for number in range(1, 13):
        if lowered in (calendar.month_name[number].lower(), calendar.month_abbr[number].lower()):
            return number
    raise ValueError(f"unknown month {name!r}")
