"""SCIM filter building (RFC 7644 §3.4.2.2) with safe quoting."""

from __future__ import annotations

import json
import re

__all__ = ["eq_filter", "validate_attribute"]

# An attribute path: optional schema URN prefix, a name, an optional sub-attribute. Nothing
# that could close the expression (spaces, quotes, brackets, parentheses) gets through.
_ATTRIBUTE = re.compile(
    r"(?:urn:[A-Za-z0-9][A-Za-z0-9._-]*(?::[A-Za-z0-9._-]+)*:)?"
    r"[A-Za-z][A-Za-z0-9_$-]*(?:\.[A-Za-z][A-Za-z0-9_$-]*)?"
)
_MAX_ATTRIBUTE_LENGTH = 256


def validate_attribute(attribute: str) -> str:
    """Return `attribute` if it is a plain SCIM attribute path, else raise ValueError."""
    if len(attribute) > _MAX_ATTRIBUTE_LENGTH or not _ATTRIBUTE.fullmatch(attribute):
        raise ValueError(f"not a filterable SCIM attribute name: {attribute!r}")
    return attribute


def eq_filter(attribute: str, value: str) -> str:
    """`<attribute> eq "<value>"` with the value quoted as a JSON string.

    RFC 7644 defines filter string literals as JSON strings, so JSON quoting escapes `"`
    and `\\` (and control characters) and no value can end the literal early.
    """
    if not isinstance(value, str):
        raise TypeError(f"filter values must be strings, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("filter value is not valid Unicode (lone surrogate)") from exc
    return f"{validate_attribute(attribute)} eq {json.dumps(value, ensure_ascii=False)}"
