"""Plain text for indexing and snippets: Markdown's markup is noise to a ranker and to a reader."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^\s*(```|~~~).*$", re.MULTILINE)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>\n]{1,200}>")
_HEADING = re.compile(r"^\s{0,3}(#{1,6}|>+|[-*+]\s|\d+[.)]\s)\s*", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`|~~)")
_SPACE = re.compile(r"\s+")


def plain(markdown: str) -> str:
    text = _FENCE.sub(" ", markdown)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _HEADING.sub("", text)
    text = _EMPHASIS.sub("", text)
    return _SPACE.sub(" ", text).strip()


def lead(text: str, words: int = 30) -> str:
    """The first ``words`` words: the snippet when the match was not in the body."""
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


# What a spreadsheet would run as a formula when it starts a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_uncell(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value
