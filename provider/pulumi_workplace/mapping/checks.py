"""Checks on a whole set of mappings (one mapping is checked when constructed)."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_workplace.attributes import REQUIRED_KEYS
from pulumi_workplace.mapping.errors import MappingError
from pulumi_workplace.mapping.model import Mapping


def mapping_set_problems(mappings: Sequence[Mapping]) -> list[str]:
    """Every problem of the set: duplicate targets, missing required targets, matching."""
    problems: list[str] = []
    by_key: dict[str, Mapping] = {}
    for mapping in mappings:
        if not isinstance(mapping, Mapping):
            problems.append(f"mappings: {mapping!r} is not a Mapping")
            continue
        first = by_key.setdefault(mapping.key, mapping)
        if first is not mapping:
            problems.append(
                f"mapping {mapping.label}: {mapping.key} is mapped twice (also as {first.label})"
            )
    for key in REQUIRED_KEYS:
        if key not in by_key or by_key[key].removes:
            problems.append(f"mappings: {key} is required by Workplace and has no mapping")
    matching = [m for m in mappings if m.matching_precedence is not None]
    if not matching:
        problems.append(
            "mappings: no matching attribute; give userName (or externalId) a matching_precedence"
        )
    seen: dict[int, Mapping] = {}
    for mapping in matching:
        assert mapping.matching_precedence is not None
        other = seen.setdefault(mapping.matching_precedence, mapping)
        if other is not mapping:
            problems.append(
                f"mapping {mapping.label}: matching_precedence {mapping.matching_precedence} is "
                f"also used by {other.label}; each matching attribute needs its own"
            )
    return problems


def check_mappings(mappings: Sequence[Mapping]) -> None:
    """Raise `MappingError` listing every problem of the set."""
    problems = mapping_set_problems(mappings)
    if problems:
        raise MappingError(problems)
