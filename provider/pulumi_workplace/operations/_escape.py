"""Escaping of log-derived text for table cells.

Person names and error texts come from a directory that a hostile user may control, so a cell
must not be able to break a table, inject Markdown or HTML, move the terminal cursor, reorder
text with bidi controls, or run as a formula when pasted into a spreadsheet.
"""

from __future__ import annotations

import re
import unicodedata

# OWASP CSV injection: these first characters make a spreadsheet read a cell as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that format.
_MARKDOWN = {c: "\\" + c for c in "\\`*_[]~!#"}
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _neutral(text: str) -> str:
    """Formula prefix guarded, line breaks and tabs as spaces, controls shown as code points."""
    if text.startswith(_FORMULA_PREFIXES):
        text = "'" + text
    text = _LINE_BREAKS.sub(" ", text).replace("\t", " ")
    return "".join(
        f"U+{ord(c):04X}" if c in _BIDI or unicodedata.category(c) == "Cc" else c for c in text
    )


def terminal_cell(text: str) -> str:
    """`text` safe for one cell of a plain-text table."""
    return _neutral(text).replace("|", "\\|")


def markdown_cell(text: str) -> str:
    """`text` safe for one cell of a GitHub-flavoured Markdown table."""
    out = []
    for c in _neutral(text):
        if c == "|":
            out.append("\\|")
        else:
            out.append(_HTML.get(c) or _MARKDOWN.get(c) or c)
    # Break GFM's bare-URL autolinks so a name cannot become a clickable link.
    return "".join(out).replace("://", "&#58;//").replace("www.", "www&#46;")


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: wide East Asian characters take two."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
        for c in text
    )
