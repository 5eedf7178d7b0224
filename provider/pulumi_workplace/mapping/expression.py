"""Compiled expressions: parsed, checked against the function table, then evaluated."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import TypeVar

from pulumi_workplace.mapping import dotnet_regex
from pulumi_workplace.mapping.context import APP_ROLE_ASSIGNMENTS, Context
from pulumi_workplace.mapping.dates import INTERVALS
from pulumi_workplace.mapping.errors import ExpressionError
from pulumi_workplace.mapping.functions import FUNCTIONS, NON_DETERMINISTIC, REFUSED, Args
from pulumi_workplace.mapping.nodes import AttributeRef, Call, Compare, Literal, Node, Omitted
from pulumi_workplace.mapping.parser import parse
from pulumi_workplace.mapping.values import EvaluationError, Value, to_datetime, to_int, to_text


@dataclass(frozen=True)
class Expression:
    """A checked expression; `evaluate` runs it for one person."""

    text: str
    root: Node

    def evaluate(self, context: Context) -> Value:
        """The value for `context`'s person; `EvaluationError` or `SkipFlow` otherwise."""
        return _evaluate(self.root, context)

    @property
    def attributes(self) -> frozenset[str]:
        """Source attribute names the expression reads."""
        return frozenset(n.name for n in _walk(self.root) if isinstance(n, AttributeRef))

    @property
    def functions(self) -> frozenset[str]:
        """Function names the expression calls."""
        return frozenset(n.name for n in _walk(self.root) if isinstance(n, Call))

    @property
    def deterministic(self) -> bool:
        """False when it calls Guid, RandomString or Now."""
        return not (self.functions & NON_DETERMINISTIC)

    @property
    def select_unique_value(self) -> bool:
        """Whether it is a `SelectUniqueValue(...)` call."""
        return isinstance(self.root, Call) and self.root.name == "SelectUniqueValue"


def compile_expression(text: str) -> Expression:
    """Parse and check `text`; `ExpressionError` (with position) when it is not valid."""
    root = parse(text)
    for node in _walk(root):
        if isinstance(node, Call):
            problem = _check_call(node, is_root=node is root)
            if problem:
                raise ExpressionError(problem, text, node.at.line, node.at.column)
    return Expression(text, root)


def _walk(node: Node) -> list[Node]:
    found = [node]
    if isinstance(node, Call):
        for arg in node.args:
            found.extend(_walk(arg))
    elif isinstance(node, Compare):
        found.extend(_walk(node.left) + _walk(node.right))
    return found


def _check_call(call: Call, *, is_root: bool) -> str | None:
    name = call.name
    if name in REFUSED:
        return f"function {name} is not supported: {REFUSED[name]}"
    function = FUNCTIONS.get(name)
    if function is None:
        return _unknown_function(name)
    count = len(call.args)
    low, high = function.min_args, function.max_args
    if count < low or (high is not None and count > high):
        wanted = str(low) if low == high else f"{low} to {high}" if high else f"at least {low}"
        return f"{name} takes {wanted} argument(s), got {count}"
    for index, arg in enumerate(call.args):
        if isinstance(arg, Omitted) and index not in function.omittable:
            return f"{name}: argument {index + 1} must not be empty"
    return _check_specific(call, is_root=is_root)


def _unknown_function(name: str) -> str:
    names = [*FUNCTIONS, *REFUSED]
    same_case = [n for n in names if n.lower() == name.lower()]
    if same_case:
        return f"unknown function {name!r}; function names are case-sensitive: {same_case[0]}"
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"unknown function {name!r}{hint}"


def _check_specific(call: Call, *, is_root: bool) -> str | None:
    name, args = call.name, call.args
    if name == "Switch" and len(args) % 2:
        return "Switch takes source, default, then key/value pairs: an even number of arguments"
    if name == "SelectUniqueValue" and not is_root:
        return "SelectUniqueValue must be the whole expression, not nested"
    if name == "SingleAppRoleAssignment" and not (
        isinstance(args[0], AttributeRef) and args[0].name.lower() == APP_ROLE_ASSIGNMENTS.lower()
    ):
        return "SingleAppRoleAssignment takes [appRoleAssignments]"
    interval = args[0] if name in ("DateAdd", "DateDiff") else None
    if isinstance(interval, Literal) and interval.value not in INTERVALS:
        return f"{name}: interval {interval.value!r} is not one of {', '.join(INTERVALS)}"
    if name == "Replace":
        return _check_replace(args)
    return None


def _check_replace(args: tuple[Node, ...]) -> str | None:
    given = [not isinstance(arg, Omitted) for arg in args]
    old, regex, group, new, attribute, template = given[1:7]
    if not ((old and (new or template)) or (regex and (new or (group and attribute)))):
        return (
            "Replace(source, oldValue, regexPattern, regexGroupName, replacementValue, "
            "replacementAttributeName, template) needs oldValue with replacementValue or "
            "template, or regexPattern with replacementValue, or regexPattern with "
            "regexGroupName and replacementAttributeName"
        )
    pattern = args[2]
    if isinstance(pattern, Literal) and isinstance(pattern.value, str):
        try:
            dotnet_regex.pattern(pattern.value)
        except Exception as exc:  # re.error and friends
            return f"Replace: bad regular expression {pattern.value!r}: {exc}"
    return None


def _evaluate(node: Node, context: Context) -> Value:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, AttributeRef):
        return context.attribute(node.name)
    if isinstance(node, Call):
        args = Args(node.name, node.args, lambda arg: _evaluate(arg, context))
        return FUNCTIONS[node.name].implementation(args, context)
    if isinstance(node, Compare):
        return _compare(node.op, _evaluate(node.left, context), _evaluate(node.right, context))
    return None


def _compare(op: str, left: Value, right: Value) -> bool:
    if op in ("=", "<>"):
        return _equal(left, right) == (op == "=")
    if left is None or right is None or left == "" or right == "":
        return False
    numbers = _as_numbers(left, right)
    if numbers is not None:
        return _ordered(op, *numbers)
    if isinstance(left, dt.datetime) or isinstance(right, dt.datetime):
        first, second = to_datetime(left, "comparison"), to_datetime(right, "comparison")
        assert first is not None and second is not None
        return _ordered(op, first.timestamp(), second.timestamp())
    return _ordered(op, to_text(left) or "", to_text(right) or "")


_Ordered = TypeVar("_Ordered", int, float, str)


def _ordered(op: str, a: _Ordered, b: _Ordered) -> bool:
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _equal(left: Value, right: Value) -> bool:
    numbers = _as_numbers(left, right)
    if numbers is not None:
        return numbers[0] == numbers[1]
    return (to_text(left) or "") == (to_text(right) or "")


def _as_numbers(left: Value, right: Value) -> tuple[int, int] | None:
    """Both sides as integers when one is a number and the other reads as one."""
    if not (isinstance(left, int) or isinstance(right, int)):
        return None
    if isinstance(left, bool) or isinstance(right, bool):
        return None
    try:
        return to_int(left, "comparison"), to_int(right, "comparison")
    except EvaluationError:
        return None
