"""Parse Entra ID's expression syntax into `nodes` with lark (LALR).

Syntax: attribute references in square brackets (`[givenName]`), string literals in double
quotes (a quote inside is written `\\"`, as Entra ID documents, or `""`; `\\\\` is a backslash;
any other backslash is kept, so regular expressions read naturally), integers (`-10`),
VBA hex integers (`&HF7`), `true` / `false`, the constants `vbBinaryCompare` /
`vbTextCompare`, function calls that nest, empty arguments (`Replace([mail], "a", , , "b", , )`),
and one comparison (`=`, `<>`, `<`, `<=`, `>`, `>=`) as in `IIF([country]="USA", ...)`.
"""

from __future__ import annotations

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from pulumi_workplace.mapping.errors import ExpressionError
from pulumi_workplace.mapping.nodes import (
    AttributeRef,
    Call,
    Compare,
    Literal,
    Node,
    Omitted,
    Position,
)

MAX_LENGTH = 10_000
"""Entra ID caps expressions at 10,000 characters."""

CONSTANTS: dict[str, str | bool] = {
    "true": True,
    "false": False,
    "True": True,
    "False": False,
    "vbBinaryCompare": "vbBinaryCompare",
    "vbTextCompare": "vbTextCompare",
}
"""Bare names allowed outside a call."""

_GRAMMAR = r"""
?start: expr
?expr: value
     | value COMPARE value -> compare
?value: call
      | ATTRIBUTE -> attribute
      | STRING -> string
      | INT -> integer
      | HEX -> hex
      | NAME -> name
      | "(" expr ")"
call: NAME "(" arg ("," arg)* ")"
arg: [expr]
COMPARE: "<>" | "<=" | ">=" | "=" | "<" | ">"
ATTRIBUTE: /\[[^\[\]\r\n]+\]/
STRING: /"(?:[^"\\]|\\.|"")*"/s
INT: /-?\d+/
HEX: /&[Hh][0-9A-Fa-f]+/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
%ignore /\s+/
"""

_PARSER = Lark(_GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=True)

_TOKEN_NAMES = {
    "COMMA": "','",
    "RPAR": "')'",
    "LPAR": "'('",
    "COMPARE": "a comparison",
    "ATTRIBUTE": "an [attribute]",
    "STRING": "a string",
    "INT": "a number",
    "HEX": "a number",
    "NAME": "a function name",
    "$END": "the end",
}


def parse(text: str) -> Node:
    """The syntax tree of `text`; `ExpressionError` with the position when it is not valid."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}", text, 1, 1
        )
    if not text.strip():
        raise ExpressionError("expression is empty", text, 1, 1)
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    return _node(tree, text)


def _syntax_error(exc: UnexpectedInput, text: str) -> ExpressionError:
    if isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        lines = text.splitlines() or [""]
        expected = _expected(getattr(exc, "expected", ()))
        return ExpressionError(
            f"syntax error: the expression ends too early{expected}",
            text,
            len(lines),
            len(lines[-1]) + 1,
        )
    if isinstance(exc, UnexpectedCharacters):
        position = exc.pos_in_stream or 0
        char = text[position] if position < len(text) else ""
        hint = {
            '"': " (a string that is never closed?)",
            "[": " (an attribute name without its ']'?)",
        }.get(char, "")
        return ExpressionError(
            f"syntax error: unexpected character {char!r}{hint}", text, exc.line, exc.column
        )
    assert isinstance(exc, UnexpectedToken)
    expected = _expected(exc.expected)
    return ExpressionError(
        f"syntax error: unexpected {exc.token.value!r}{expected}", text, exc.line, exc.column
    )


def _expected(names: object) -> str:
    wanted = sorted({_TOKEN_NAMES.get(str(n), str(n)) for n in names or ()})  # type: ignore[attr-defined]
    return f"; expected {' or '.join(wanted)}" if wanted else ""


def _at(item: Tree[Token] | Token) -> Position:
    if isinstance(item, Token):
        return Position(item.line or 1, item.column or 1)
    return Position(item.meta.line, item.meta.column)


def _node(item: Tree[Token] | Token, text: str) -> Node:
    assert isinstance(item, Tree)
    kind = str(item.data)
    if kind == "call":
        name = item.children[0]
        assert isinstance(name, Token)
        args: list[Node] = []
        for arg in item.children[1:]:
            assert isinstance(arg, Tree)
            inner = arg.children[0]
            args.append(Omitted(_at(name)) if inner is None else _node(inner, text))
        # `F()` parses as one empty argument; it means no arguments.
        if len(args) == 1 and isinstance(args[0], Omitted):
            args = []
        return Call(str(name), tuple(args), _at(name))
    if kind == "compare":
        left, op, right = item.children
        assert isinstance(op, Token) and left is not None and right is not None
        return Compare(str(op), _node(left, text), _node(right, text), _at(op))
    token = item.children[0]
    assert isinstance(token, Token)
    at = _at(token)
    value = str(token)
    if kind == "attribute":
        return AttributeRef(value[1:-1].strip(), at)
    if kind == "string":
        return Literal(_unquote(value), at)
    if kind == "integer":
        return Literal(int(value), at)
    if kind == "hex":
        return Literal(int(value[2:], 16), at)
    if value in CONSTANTS:
        return Literal(CONSTANTS[value], at)
    raise ExpressionError(
        f"unknown name {value!r}: function calls need parentheses, attributes square brackets, "
        "strings double quotes",
        text,
        at.line,
        at.column,
    )


def _unquote(token: str) -> str:
    body = token[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        pair = body[index : index + 2]
        if pair in ('\\"', "\\\\", '""'):
            out.append(pair[1])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)
