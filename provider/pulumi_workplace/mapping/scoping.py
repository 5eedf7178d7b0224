"""Scoping filters, as Entra ID evaluates them.

A filter is a list of clauses that must all hold (AND); a person is in scope when any filter
holds (OR); no filter means everyone. A clause on a null or empty attribute is false, except
`IS NULL` (and `NOT REGEX MATCH` is false too, as Entra ID documents). Comparisons are
case-sensitive; `REGEX MATCH` uses .NET syntax and matches anywhere in the value.

Operators, as Entra ID names them (any case, `_` or space): EQUALS, NOT EQUALS, Includes,
`&` (the value occurs inside the given string), `!&`, ENDS_WITH, REGEX MATCH,
NOT REGEX MATCH, Greater_Than, Greater_Than_OR_EQUALS (integers), IS TRUE, IS FALSE,
IS NULL, IS NOT NULL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pulumi_workplace.directory.model import AttributeValue, Person
from pulumi_workplace.mapping import dotnet_regex
from pulumi_workplace.mapping.errors import ScopingError

OPERATORS = (
    "EQUALS",
    "NOT EQUALS",
    "Includes",
    "&",
    "!&",
    "ENDS_WITH",
    "REGEX MATCH",
    "NOT REGEX MATCH",
    "Greater_Than",
    "Greater_Than_OR_EQUALS",
    "IS TRUE",
    "IS FALSE",
    "IS NULL",
    "IS NOT NULL",
)
"""Entra ID's operator names, the canonical spelling kept on a clause."""

_UNARY = frozenset({"IS TRUE", "IS FALSE", "IS NULL", "IS NOT NULL"})


def _normal(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("-", " ").upper().split())


_BY_NORMAL = {_normal(op): op for op in OPERATORS} | {"INCLUDE": "Includes"}


class ScopingClause(BaseModel):
    """`attribute operator value`; `value` is unused by the IS ... operators."""

    model_config = ConfigDict(frozen=True)

    attribute: str
    operator: str
    value: str | int | None = None

    @field_validator("operator")
    @classmethod
    def _canonical(cls, operator: str) -> str:
        found = _BY_NORMAL.get(_normal(operator))
        if found is None:
            raise ValueError(
                f"unknown scoping operator {operator!r}; Entra ID's operators: "
                + ", ".join(OPERATORS)
            )
        return found

    @model_validator(mode="after")
    def _check_value(self) -> ScopingClause:
        if self.operator not in _UNARY and self.value is None:
            raise ValueError(f"operator {self.operator} needs a value")
        if self.operator in ("REGEX MATCH", "NOT REGEX MATCH"):
            try:
                dotnet_regex.pattern(str(self.value))
            except re.error as exc:
                raise ValueError(f"bad regular expression {self.value!r}: {exc}") from None
        if self.operator.startswith("Greater"):
            try:
                int(str(self.value))
            except ValueError:
                raise ValueError(f"{self.operator} needs an integer, got {self.value!r}") from None
        return self

    def __str__(self) -> str:
        return f"{self.attribute} {self.operator}" + (
            "" if self.operator in _UNARY else f" {self.value!r}"
        )

    def matches(self, person: Person) -> bool:
        """Whether the clause holds for `person`."""
        return _TESTS[self.operator](person.get(self.attribute), self)


class ScopingFilter(BaseModel):
    """Clauses that must all hold; `name` only labels messages."""

    model_config = ConfigDict(frozen=True)

    clauses: tuple[ScopingClause, ...] = Field(min_length=1)
    name: str | None = None

    def matches(self, person: Person) -> bool:
        """Whether every clause holds for `person`."""
        return all(clause.matches(person) for clause in self.clauses)


def in_scope(person: Person, filters: Sequence[ScopingFilter]) -> bool:
    """Whether `person` passes the filters: any filter (OR) whose clauses all hold (AND)."""
    return not filters or any(f.matches(person) for f in filters)


def compile_filters(filters: Iterable[ScopingFilter | dict[str, Any]]) -> list[ScopingFilter]:
    """Validate filters given as models or plain dicts; `ScopingError` names filter and clause."""
    compiled: list[ScopingFilter] = []
    problems: list[str] = []
    for index, raw in enumerate(filters):
        if not isinstance(raw, ScopingFilter | dict):
            problems.append(f"scoping_filters[{index}]: expected a ScopingFilter or a dict")
            continue
        name = raw.name if isinstance(raw, ScopingFilter) else raw.get("name")
        label = f"scoping_filters[{index}]" + (f" ({name})" if name else "")
        if isinstance(raw, ScopingFilter):
            compiled.append(raw)
            continue
        try:
            compiled.append(ScopingFilter.model_validate(raw))
        except ValidationError as exc:
            problems.extend(_describe(label, raw, exc))
    if problems:
        raise ScopingError(problems)
    return compiled


def _describe(label: str, raw: dict[str, Any], exc: ValidationError) -> list[str]:
    lines: list[str] = []
    clauses = raw.get("clauses") if isinstance(raw, dict) else None
    errors = exc.errors()
    clause_errors = any(len(e["loc"]) >= 2 and e["loc"][0] == "clauses" for e in errors)
    for error in errors:
        loc = error["loc"]
        if clause_errors and tuple(loc) == ("clauses",):
            continue  # "too short" only because the bad clauses were dropped
        message = str(error["msg"]).removeprefix("Value error, ")
        if len(loc) >= 2 and loc[0] == "clauses" and isinstance(loc[1], int):
            clause = clauses[loc[1]] if isinstance(clauses, list) else None
            lines.append(f"{label} clause {loc[1] + 1} ({_clause_text(clause)}): {message}")
        else:
            lines.append(f"{label}: {'.'.join(map(str, loc))}: {message}")
    return lines


def _clause_text(clause: Any) -> str:
    """A raw clause as written: `attribute operator value`."""
    if not isinstance(clause, dict):
        return repr(clause)
    parts = (clause.get(k) for k in ("attribute", "operator", "value"))
    return " ".join(str(p) for p in parts if p is not None)


def _text(value: AttributeValue) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _integer(value: AttributeValue) -> int | None:
    try:
        return int(_text(value))
    except ValueError:
        return None


def _present(test: Callable[[str, str], bool]) -> Callable[[AttributeValue, ScopingClause], bool]:
    def check(value: AttributeValue, clause: ScopingClause) -> bool:
        return value is not None and test(_text(value), str(clause.value))

    return check


def _greater(or_equal: bool) -> Callable[[AttributeValue, ScopingClause], bool]:
    def check(value: AttributeValue, clause: ScopingClause) -> bool:
        number = None if value is None else _integer(value)
        limit = int(str(clause.value))
        return number is not None and (number >= limit if or_equal else number > limit)

    return check


def _regex(value: str, pattern: str) -> bool:
    return dotnet_regex.pattern(pattern).search(value) is not None


def _boolean(expected: bool) -> Callable[[AttributeValue, ScopingClause], bool]:
    def check(value: AttributeValue, _: ScopingClause) -> bool:
        if value is None:
            return False
        return _text(value).strip().lower() == ("true" if expected else "false")

    return check


_TESTS: dict[str, Callable[[AttributeValue, ScopingClause], bool]] = {
    "EQUALS": _present(lambda v, c: v == c),
    "NOT EQUALS": _present(lambda v, c: v != c),
    "Includes": _present(lambda v, c: c in v),
    "&": _present(lambda v, c: v in c),
    "!&": _present(lambda v, c: v not in c),
    "ENDS_WITH": _present(lambda v, c: v.endswith(c)),
    "REGEX MATCH": _present(_regex),
    "NOT REGEX MATCH": _present(lambda v, c: not _regex(v, c)),
    "Greater_Than": _greater(or_equal=False),
    "Greater_Than_OR_EQUALS": _greater(or_equal=True),
    "IS TRUE": _boolean(expected=True),
    "IS FALSE": _boolean(expected=False),
    "IS NULL": lambda value, _: value is None,
    "IS NOT NULL": lambda value, _: value is not None,
}
