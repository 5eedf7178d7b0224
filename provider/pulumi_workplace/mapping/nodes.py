"""The syntax tree of an Entra ID mapping expression."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Position:
    """1-based line and column of a node in the expression text."""

    line: int
    column: int


@dataclass(frozen=True)
class Literal:
    """A string, integer or boolean constant."""

    value: str | int | bool
    at: Position


@dataclass(frozen=True)
class AttributeRef:
    """`[name]`: a source attribute of the person."""

    name: str
    at: Position


@dataclass(frozen=True)
class Omitted:
    """An argument left empty, as in `Replace([mail], "x", , , "y", , )`."""

    at: Position


@dataclass(frozen=True)
class Call:
    """`Name(arg, ...)`; function names are case-sensitive."""

    name: str
    args: tuple[Node, ...]
    at: Position


@dataclass(frozen=True)
class Compare:
    """`left op right` with op one of = <> < <= > >= (inside IIF or CBool)."""

    op: str
    left: Node
    right: Node
    at: Position


Node = Literal | AttributeRef | Omitted | Call | Compare
