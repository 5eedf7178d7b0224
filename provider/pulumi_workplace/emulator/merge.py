"""PUT merge semantics: lay a request body over the stored user before validation."""

from __future__ import annotations

from typing import Any

# Attributes the server owns; a body cannot change them, so they are not merged.
_SERVER_OWNED = frozenset({"id", "meta"})


def merge_user(stored: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Return `stored` with the attributes `body` gives laid over it.

    Single complex attributes and extension objects merge recursively; multi-valued attributes
    and plain values replace what was there; an explicit null removes the attribute. `schemas`
    is the union of both lists.
    """
    merged = _merge(stored, {key: value for key, value in body.items() if key not in _SERVER_OWNED})
    schemas = [*stored.get("schemas", []), *body.get("schemas", [])]
    merged["schemas"] = list(dict.fromkeys(schemas))
    return merged


def _merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in overlay.items():
        # Attribute names are case-insensitive (RFC 7643 §2.1): replace whatever spelling exists.
        existing_key = next((k for k in result if k.lower() == key.lower()), key)
        existing = result.pop(existing_key, None)
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(existing, dict):
            value = _merge(existing, value)
        result[key] = value
    return result
