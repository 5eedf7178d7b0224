"""Source attributes named in mappings and scoping filters, checked against the directory.

Entra's mapping editor refuses a source attribute the directory does not have; a misspelt one
(`[givnName]`) would otherwise read as empty for everyone and rewrite every account. The check
needs only the directory's schema (`Directory.attribute_names`), so it runs before any request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pulumi_workplace.directory import Directory
from pulumi_workplace.mapping.context import APP_ROLE_ASSIGNMENTS, IS_SOFT_DELETED, OBJECT_ID
from pulumi_workplace.mapping.model import Mapping

__all__ = ["VIRTUAL_ATTRIBUTES", "source_attributes", "unknown_sources"]

VIRTUAL_ATTRIBUTES = frozenset(
    a.lower() for a in (APP_ROLE_ASSIGNMENTS, IS_SOFT_DELETED, OBJECT_ID)
)
"""Source attributes Entra ID provides besides the directory's own (always known)."""


def source_attributes(mapping: Mapping) -> tuple[str, ...]:
    """The source attributes a mapping reads, in the order written."""
    if mapping.type == "direct" and mapping.source:
        return (mapping.source,)
    if mapping.type == "expression" and mapping.compiled is not None:
        return tuple(sorted(mapping.compiled.attributes))
    return ()


def _clause_attributes(raw: Any) -> list[tuple[str, str]]:
    """(label suffix, attribute) for each clause of one scoping filter, as written or parsed."""
    clauses = getattr(raw, "clauses", None)
    if clauses is None and isinstance(raw, dict):
        clauses = raw.get("clauses")
    found: list[tuple[str, str]] = []
    for index, clause in enumerate(clauses or ()):
        attribute = getattr(clause, "attribute", None)
        if attribute is None and isinstance(clause, dict):
            attribute = clause.get("attribute")
        if isinstance(attribute, str) and attribute:
            found.append((f".clauses[{index}]", attribute))
    return found


def unknown_sources(
    directory: Directory,
    mappings: Iterable[tuple[str, Mapping]],
    scoping_filters: Sequence[Any] = (),
    *,
    filters_setting: str = "scopingFilters",
) -> list[str]:
    """Problems: each source attribute that the directory's schema lacks, named by its setting.

    `mappings` pairs each configured mapping with the setting that names it
    (`workplace:mappings[0]`); scoping filters are named `<filters_setting>[i].clauses[j]`.
    A default mapping is not checked: a directory may simply not have that column.
    """
    known = {name.lower() for name in directory.attribute_names} | VIRTUAL_ATTRIBUTES
    where = f" ({directory.source})" if directory.source else ""
    problems: list[str] = []

    def check(label: str, attribute: str) -> None:
        if attribute.lower() in known:
            return
        # A person's id is not one of its attributes: Entra names it objectId.
        close = (
            [OBJECT_ID] if attribute.lower() == "id" else directory.closest_attributes(attribute)
        )
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        problems.append(
            f"{label}: source attribute {attribute!r} is not in the directory{where}{hint}"
        )

    for label, mapping in mappings:
        for attribute in source_attributes(mapping):
            check(f"{label} ({mapping.key})", attribute)
    for index, raw in enumerate(scoping_filters):
        for suffix, attribute in _clause_attributes(raw):
            check(f"{filters_setting}[{index}]{suffix}", attribute)
    return problems
