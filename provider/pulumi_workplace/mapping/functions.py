"""Entra ID's expression functions, with their arity, as Microsoft documents them.

Reference: https://learn.microsoft.com/en-us/entra/identity/app-provisioning/functions-for-customizing-application-data

Deliberate differences, all documented here:
- `Guid`, `RandomString` and `Now` are not deterministic: use them only in mappings applied
  on create (`apply="on_create"`), or every preview shows a change. `Now` is the run's clock,
  one value per plan.
- `SelectUniqueValue` returns its first non-empty candidate; checking uniqueness against
  Workplace is out of scope (Entra ID supports it only for Active Directory targets anyway).
- `Redact` returns its argument and marks the attribute as secret for previews and logs.
- `IIF` and comparisons treat a null attribute as an empty string (Entra ID fails the
  condition instead, a documented limitation).
- `ToLower` / `ToUpper` ignore the culture argument (invariant culture).
- `FormatDateTime` ignores `dateTimeStyles`; it accepts the older three-argument form too.
- `AppRoleAssignmentsComplex` / `AssertiveAppRoleAssignmentsComplex` build SCIM `roles`,
  which Workplace does not have: they are refused.
"""

from __future__ import annotations

import base64
import secrets
import string
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pulumi_workplace.mapping import dates, dotnet_regex
from pulumi_workplace.mapping.context import Context
from pulumi_workplace.mapping.nodes import Node, Omitted
from pulumi_workplace.mapping.values import (
    EvaluationError,
    SkipFlow,
    Value,
    as_list,
    is_empty,
    to_datetime,
    to_int,
    to_text,
    truthy,
)


class Args:
    """A call's arguments, evaluated on demand (so `IIF` and `Switch` are lazy)."""

    def __init__(self, name: str, nodes: Sequence[Node], evaluate: Callable[[Node], Value]) -> None:
        self.name = name
        self._nodes = nodes
        self._evaluate = evaluate
        self._cache: dict[int, Value] = {}

    def __len__(self) -> int:
        return len(self._nodes)

    def given(self, index: int) -> bool:
        """Whether argument `index` (0-based) is present and not left empty."""
        return index < len(self._nodes) and not isinstance(self._nodes[index], Omitted)

    def value(self, index: int) -> Value:
        """Argument `index`, None when absent or left empty."""
        if not self.given(index):
            return None
        if index not in self._cache:
            self._cache[index] = self._evaluate(self._nodes[index])
        return self._cache[index]

    def text(self, index: int) -> str | None:
        """Argument `index` as a string."""
        return to_text(self.value(index))

    def integer(self, index: int, what: str) -> int:
        """Argument `index` as an integer."""
        return to_int(self.value(index), f"{self.name}: {what}")


Implementation = Callable[[Args, Context], Value]


@dataclass(frozen=True)
class Function:
    """A function's arity and which arguments may be left empty."""

    name: str
    implementation: Implementation
    min_args: int
    max_args: int | None
    omittable: frozenset[int] = field(default_factory=frozenset)
    """0-based positions that may be left empty."""


# --- strings ---------------------------------------------------------------------------


def _append(args: Args, _: Context) -> Value:
    source, suffix = args.text(0), args.text(1)
    return None if source is None and suffix is None else (source or "") + (suffix or "")


def _join(args: Args, _: Context) -> Value:
    # Entra's documented example Join(", ", "", [surname], [givenName]) gives "Doe, John":
    # empty values are skipped.
    separator = args.text(0) or ""
    parts = [part for i in range(1, len(args)) for part in as_list(args.value(i)) if part]
    return separator.join(parts) if parts else None


def _left(args: Args, _: Context) -> Value:
    source = args.text(0) or ""
    count = args.integer(1, "NumChars")
    return source if count < 0 else source[:count]


def _mid(args: Args, _: Context) -> Value:
    source = args.text(0)
    start, length = args.integer(1, "start"), args.integer(2, "length")
    if source is None:
        return None
    if start < 1 or length < 0:
        raise EvaluationError(f"Mid: start must be >= 1 and length >= 0, got {start}, {length}")
    return source[start - 1 : start - 1 + length]


def _word(args: Args, _: Context) -> Value:
    source, number, delimiters = args.text(0), args.integer(1, "WordNumber"), args.text(2) or ""
    if source is None or number < 1:
        return ""
    words: list[str] = []
    current: list[str] = []
    for char in source + (delimiters[:1] or " "):
        if char in delimiters or (not delimiters and char == " "):
            if current:
                words.append("".join(current))
            current = []
        else:
            current.append(char)
    return words[number - 1] if number <= len(words) else ""


def _instr(args: Args, _: Context) -> Value:
    haystack, needle = args.text(0), args.text(1)
    if haystack is None or needle is None:
        return None
    start = args.integer(2, "start") if args.given(2) else 1
    if start < 1:
        raise EvaluationError(f"InStr: start must be >= 1, got {start}")
    if args.text(3) == "vbTextCompare":
        haystack, needle = haystack.casefold(), needle.casefold()
    return haystack.find(needle, start - 1) + 1


def _pcase(args: Args, _: Context) -> Value:
    source = args.text(0)
    if source is None:
        return None
    separators = args.text(1) if args.given(1) else None

    def separates(char: str) -> bool:
        if separators is not None:
            return char in separators
        # .NET ToTitleCase: letters, digits, marks and apostrophes belong to the word.
        return not (char.isalnum() or char == "'" or unicodedata.category(char).startswith("M"))

    out: list[str] = []
    start = True
    for char in source:
        if separates(char):
            out.append(char)
            start = True
        else:
            out.append(char.upper() if start else char.lower())
            start = False
    return "".join(out)


def _strip_spaces(args: Args, _: Context) -> Value:
    source = args.text(0)
    return None if source is None else source.replace(" ", "")


def _to_lower(args: Args, _: Context) -> Value:
    source = args.text(0)
    return None if source is None else source.lower()


def _to_upper(args: Args, _: Context) -> Value:
    source = args.text(0)
    return None if source is None else source.upper()


# Letters NFKD does not decompose, mapped as Entra ID's NormalizeDiacritics table does.
_SPECIAL_LETTERS = str.maketrans(
    {"æ": "ae", "Æ": "AE", "ø": "oe", "Ø": "OE", "œ": "oe", "Œ": "OE", "ß": "ss"}
    | {"ł": "l", "Ł": "L", "\u0131": "i", "đ": "d", "Đ": "D", "ǣ": "ae", "Ǣ": "AE"}
)


def _normalize_diacritics(args: Args, _: Context) -> Value:
    source = args.text(0)
    if source is None:
        return None
    decomposed = unicodedata.normalize("NFD", source.translate(_SPECIAL_LETTERS))
    stripped = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return unicodedata.normalize("NFC", stripped)


def _convert_to_base64(args: Args, _: Context) -> Value:
    source = args.text(0)
    # "Unicode base64": .NET's Unicode encoding is UTF-16 little-endian.
    return None if source is None else base64.b64encode(source.encode("utf-16-le")).decode()


def _convert_to_utf8_hex(args: Args, _: Context) -> Value:
    source = args.text(0)
    return None if source is None else source.encode("utf-8").hex().upper()


def _replace(args: Args, _: Context) -> Value:
    source = args.text(0)
    old, regex_text, group = args.text(1), args.text(2), args.text(3)
    if args.given(1) and args.given(6):
        template = args.text(6)
        return None if source is None or template is None else template.replace(old or "", source)
    if args.given(1):
        new = args.text(4) or ""
        return None if source is None or not old else source.replace(old, new)
    regex = dotnet_regex.pattern(regex_text or "")
    if args.given(3) and args.given(5):
        if source:
            return source
        match = regex.search(args.text(5) or "")
        return match.group(group or 0) if match else None
    if source is None:
        return None
    new = args.text(4) or ""
    if args.given(3):
        out: list[str] = []
        last = 0
        for match in regex.finditer(source):
            start, end = match.span(group or 0)
            if start < 0:
                continue
            out.append(source[last:start] + new)
            last = end
        return "".join(out) + source[last:]
    return regex.sub(dotnet_regex.replacement(new), source)


def _split(args: Args, _: Context) -> Value:
    source, delimiter = args.text(0), args.text(1)
    if source is None:
        return None
    if not delimiter:
        raise EvaluationError("Split: the delimiter must not be empty")
    return [part.strip() for part in source.split(delimiter)]


# --- multi-valued ------------------------------------------------------------------------


def _count(args: Args, _: Context) -> Value:
    return len(as_list(args.value(0)))


def _item(args: Args, _: Context) -> Value:
    values = as_list(args.value(0))
    index = args.integer(1, "index")
    return values[index - 1] if 1 <= index <= len(values) else None


def _remove_duplicates(args: Args, _: Context) -> Value:
    value = args.value(0)
    return list(dict.fromkeys(value)) if isinstance(value, list) else value


# --- logic -------------------------------------------------------------------------------


def _iif(args: Args, _: Context) -> Value:
    return args.value(1) if truthy(args.value(0), "IIF condition") else args.value(2)


def _switch(args: Args, _: Context) -> Value:
    # Case-sensitive comparison of the text forms; an empty source matches the key "".
    source = args.text(0) or ""
    for index in range(2, len(args) - 1, 2):
        if (args.text(index) or "") == source:
            return args.value(index + 1)
    return args.value(1)


def _coalesce(args: Args, _: Context) -> Value:
    for index in range(len(args)):
        value = args.value(index)
        if value is not None:
            return value
    return None


def _select_unique_value(args: Args, _: Context) -> Value:
    for index in range(len(args)):
        value = args.value(index)
        if not is_empty(value):
            return value
    return None


def _not(args: Args, _: Context) -> Value:
    return not truthy(args.value(0), "Not")


def _cbool(args: Args, _: Context) -> Value:
    return truthy(args.value(0), "CBool")


def _cstr(args: Args, _: Context) -> Value:
    return args.text(0)


def _is_null(args: Args, _: Context) -> Value:
    return args.value(0) is None


def _is_null_or_empty(args: Args, _: Context) -> Value:
    return is_empty(args.value(0))


def _is_present(args: Args, _: Context) -> Value:
    return not is_empty(args.value(0))


def _is_string(args: Args, _: Context) -> Value:
    return isinstance(args.value(0), str)


def _ignore_flow(args: Args, _: Context) -> Value:
    value = args.value(0)
    if is_empty(value):
        raise SkipFlow
    return value


def _bit_and(args: Args, _: Context) -> Value:
    return args.integer(0, "value1") & args.integer(1, "value2")


# --- dates -------------------------------------------------------------------------------


def _cdate(args: Args, _: Context) -> Value:
    return to_datetime(args.value(0), "CDate")


def _date_add(args: Args, _: Context) -> Value:
    interval = _interval(args, "DateAdd")
    value = to_datetime(args.value(2), "DateAdd")
    return None if value is None else dates.add_interval(interval, args.integer(1, "value"), value)


def _date_diff(args: Args, _: Context) -> Value:
    interval = _interval(args, "DateDiff")
    first, second = to_datetime(args.value(1), "DateDiff"), to_datetime(args.value(2), "DateDiff")
    return None if first is None or second is None else dates.diff_interval(interval, first, second)


def _interval(args: Args, name: str) -> str:
    interval = args.text(0) or ""
    if interval not in dates.INTERVALS:
        raise EvaluationError(f"{name}: interval must be one of {', '.join(dates.INTERVALS)}")
    return interval


def _date_from_num(args: Args, _: Context) -> Value:
    if is_empty(args.value(0)):
        return None
    return dates.from_ad_ticks(args.integer(0, "value"))


def _num_from_date(args: Args, _: Context) -> Value:
    value = to_datetime(args.value(0), "NumFromDate")
    return None if value is None else dates.to_ad_ticks(value)


def _format_date_time(args: Args, _: Context) -> Value:
    source = args.text(0)
    # The older documented form has no dateTimeStyles argument.
    inputs, outputs = (1, 2) if len(args) == 3 else (2, 3)
    input_format, output_format = args.text(inputs), args.text(outputs)
    if source is None:
        return None
    try:
        value = dates.parse_dotnet(source, input_format or "")
    except ValueError as exc:
        raise EvaluationError(f"FormatDateTime: {exc}") from None
    return dates.format_dotnet(value, output_format or "")


def _now(_: Args, context: Context) -> Value:
    return context.now


# --- generated and context values ------------------------------------------------------


def _guid(_: Args, __: Context) -> Value:
    return str(uuid.uuid4())


_SPECIAL = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/"


def _random_string(args: Args, _: Context) -> Value:
    length = args.integer(0, "Length")
    minimums = [args.integer(i, "minimum") for i in range(1, 5)]
    avoid = set(args.text(5) or "")
    if length > 256 or sum(minimums) > length or min(minimums) < 0:
        raise EvaluationError("RandomString: Length must be <= 256 and >= the minimums' sum")
    pools = [
        [c for c in chars if c not in avoid]
        for chars in (string.digits, _SPECIAL, string.ascii_uppercase, string.ascii_lowercase)
    ]
    if any(count and not pool for count, pool in zip(minimums, pools, strict=True)):
        raise EvaluationError("RandomString: CharactersToAvoid leaves no character to use")
    everything = [c for pool in pools for c in pool]
    chosen = [
        secrets.choice(pool)
        for count, pool in zip(minimums, pools, strict=True)
        for _ in range(count)
    ]
    chosen += [secrets.choice(everything) for _ in range(length - len(chosen))]
    secrets.SystemRandom().shuffle(chosen)
    return "".join(chosen)


def _redact(args: Args, context: Context) -> Value:
    context.redacted = True
    return args.value(0)


def _single_app_role_assignment(_: Args, context: Context) -> Value:
    return context.role


def _refused(_: Args, __: Context) -> Value:  # pragma: no cover - refused when compiled
    raise EvaluationError("not supported")


def _spec(
    name: str,
    implementation: Implementation,
    min_args: int,
    max_args: int | None = -1,
    omittable: tuple[int, ...] = (),
) -> Function:
    maximum = min_args if max_args == -1 else max_args
    return Function(name, implementation, min_args, maximum, frozenset(omittable))


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        _spec("Append", _append, 2),
        _spec("BitAnd", _bit_and, 2),
        _spec("CBool", _cbool, 1),
        _spec("CDate", _cdate, 1),
        _spec("Coalesce", _coalesce, 1, None),
        _spec("ConvertToBase64", _convert_to_base64, 1),
        _spec("ConvertToUTF8Hex", _convert_to_utf8_hex, 1),
        _spec("Count", _count, 1),
        _spec("CStr", _cstr, 1),
        _spec("DateAdd", _date_add, 3),
        _spec("DateDiff", _date_diff, 3),
        _spec("DateFromNum", _date_from_num, 1),
        _spec("FormatDateTime", _format_date_time, 3, 4, omittable=(1,)),
        _spec("Guid", _guid, 0),
        _spec("IgnoreFlowIfNullOrEmpty", _ignore_flow, 1),
        _spec("IIF", _iif, 3),
        _spec("InStr", _instr, 2, 4, omittable=(2, 3)),
        _spec("IsNull", _is_null, 1),
        _spec("IsNullOrEmpty", _is_null_or_empty, 1),
        _spec("IsPresent", _is_present, 1),
        _spec("IsString", _is_string, 1),
        _spec("Item", _item, 2),
        _spec("Join", _join, 2, None),
        _spec("Left", _left, 2),
        _spec("Mid", _mid, 3),
        _spec("NormalizeDiacritics", _normalize_diacritics, 1),
        _spec("Not", _not, 1),
        _spec("Now", _now, 0),
        _spec("NumFromDate", _num_from_date, 1),
        _spec("PCase", _pcase, 1, 2, omittable=(1,)),
        _spec("RandomString", _random_string, 5, 6),
        _spec("Redact", _redact, 1),
        _spec("RemoveDuplicates", _remove_duplicates, 1),
        _spec("Replace", _replace, 7, 7, omittable=(1, 2, 3, 4, 5, 6)),
        _spec("SelectUniqueValue", _select_unique_value, 2, None),
        _spec("SingleAppRoleAssignment", _single_app_role_assignment, 1),
        _spec("Split", _split, 2),
        _spec("StripSpaces", _strip_spaces, 1),
        _spec("Switch", _switch, 4, None, omittable=(1,)),
        _spec("ToLower", _to_lower, 1, 2, omittable=(1,)),
        _spec("ToUpper", _to_upper, 1, 2, omittable=(1,)),
        _spec("Word", _word, 3),
    )
}
"""Every supported function by its (case-sensitive) name."""

REFUSED: dict[str, str] = {
    "AppRoleAssignmentsComplex": "it builds SCIM roles, which Workplace does not have; "
    "use SingleAppRoleAssignment([appRoleAssignments])",
    "AssertiveAppRoleAssignmentsComplex": "it builds SCIM roles, which Workplace does not have; "
    "use SingleAppRoleAssignment([appRoleAssignments])",
}
"""Entra ID functions this project refuses, with the reason."""

NON_DETERMINISTIC = frozenset({"Guid", "RandomString", "Now"})
"""Functions whose result changes between runs: use them with apply="on_create"."""
