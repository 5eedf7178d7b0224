"""Entra ID's regular expressions are .NET ones: translate the syntax Python spells differently.

Named groups `(?<name>...)` become `(?P<name>...)`, back-references `\\k<name>` become
`(?P=name)`; in replacements `${name}` and `$1` become `\\g<name>` and `\\g<1>`, `$$` is a
dollar sign and backslashes are literal.
"""

from __future__ import annotations

import functools
import re

_NAMED_GROUP = re.compile(r"(?<!\\)\(\?<(?![=!])")
_BACK_REFERENCE = re.compile(r"\\k<(\w+)>")
_REPLACEMENT_TOKEN = re.compile(r"\$\$|\$\{(\w+)\}|\$(\d+)")


@functools.lru_cache(maxsize=512)
def pattern(source: str) -> re.Pattern[str]:
    """Compile a .NET pattern (cached); `re.error` when it is not valid."""
    translated = _BACK_REFERENCE.sub(r"(?P=\1)", _NAMED_GROUP.sub("(?P<", source))
    return re.compile(translated)


def replacement(source: str) -> str:
    """A .NET replacement string as a Python `re.sub` template."""
    out: list[str] = []
    last = 0
    for match in _REPLACEMENT_TOKEN.finditer(source):
        out.append(source[last : match.start()].replace("\\", "\\\\"))
        name = match.group(1) or match.group(2)
        out.append("$" if name is None else f"\\g<{name}>")
        last = match.end()
    out.append(source[last:].replace("\\", "\\\\"))
    return "".join(out)
