"""Masking of secrets and credential-looking strings before anything is written or sent."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["MASK", "Masker"]

MASK = "***"

# Credential shapes that can turn up inside error texts even when the literal value is unknown.
_PATTERNS = (
    # "Bearer <token>", as in an Authorization header echoed by a proxy or a server error.
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9\-._~+/]{8,}=*"), rf"\1\2{MASK}"),
    # A JSON Web Token anywhere (header.payload.signature, header starting with `{"`).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MASK),
    # Credentials in a query string or form body.
    (
        re.compile(r"(?i)\b(access_token|token|password|passwd|api_key|apikey|secret)=[^&\s\"']+"),
        rf"\1={MASK}",
    ),
)


class Masker:
    """Replaces literal secrets and, with `patterns`, credential-looking strings with `***`.

    Secrets shorter than `min_length` are left alone.
    """

    def __init__(
        self, secrets: Iterable[str] = (), *, min_length: int = 1, patterns: bool = True
    ) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted(
            {s for s in secrets if s and len(s) >= min_length}, key=len, reverse=True
        )
        self._patterns: tuple[tuple[re.Pattern[str], str], ...] = _PATTERNS if patterns else ()

    def text(self, value: str) -> str:
        """`value` with every literal secret and credential-looking string masked."""
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        for pattern, replacement in self._patterns:
            value = pattern.sub(replacement, value)
        return value

    def value(self, value: Any) -> Any:
        """A copy of `value` with strings masked inside mappings, lists and tuples."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(item) for item in value]
        return value
