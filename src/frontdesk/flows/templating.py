"""``{{ ... }}`` interpolation for message texts, URLs, headers and bodies.

Deliberately not Jinja: an author's template must not reach attributes of Python objects, loop, or
allocate without bound. A placeholder is a dotted path into a plain dict of values plus a chain of
named filters; anything else is left out (or replaced by its ``default``), never evaluated.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.DOTALL)
PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
FILTER = re.compile(r"^([a-z_]+)(?:\s*:\s*(.*))?$", re.DOTALL)
MAX_OUTPUT = 8000
ROOTS = ("contact", "state", "message", "flow", "now", "trigger", "response")
FILTERS = ("default", "upper", "lower", "title", "capitalize", "trim", "date", "truncate", "json", "first_word")


class TemplateError(ValueError):
    """A placeholder the renderer cannot read; validation reports it against the node."""


def _literal(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw


def parse(expr: str) -> tuple[str, list[tuple[str, str | None]]]:
    """Split ``contact.first_name | default:"there" | upper`` into the path and its filters."""
    parts = [p.strip() for p in _split_pipes(expr)]
    path = parts[0]
    if not PATH.match(path):
        raise TemplateError(f"{{{{ {expr} }}}}: {path!r} is not a variable path")
    if path.split(".", 1)[0] not in ROOTS:
        raise TemplateError(f"{{{{ {expr} }}}}: variables start with one of {', '.join(ROOTS)}")
    filters: list[tuple[str, str | None]] = []
    for raw in parts[1:]:
        m = FILTER.match(raw)
        if not m or m.group(1) not in FILTERS:
            raise TemplateError(f"{{{{ {expr} }}}}: unknown filter {raw!r}; use one of {', '.join(FILTERS)}")
        filters.append((m.group(1), _literal(m.group(2)) if m.group(2) is not None else None))
    return path, filters


def _split_pipes(expr: str) -> list[str]:
    out, cur, quote = [], [], ""
    for ch in expr:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
            cur.append(ch)
        elif ch == "|":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def variables(text: str) -> list[str]:
    """Every path a template reads (raises :class:`TemplateError` on a malformed placeholder)."""
    return [parse(m.group(1))[0] for m in PLACEHOLDER.finditer(text or "")]


def lookup(values: dict[str, Any], path: str) -> Any:
    cur: Any = values
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
    return cur


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:MAX_OUTPUT]
    return str(value)


def _as_date(value: Any) -> datetime | date | None:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def apply_filter(value: Any, name: str, arg: str | None) -> Any:
    if name == "default":
        return value if value not in (None, "", [], {}) else (arg or "")
    if name == "date":
        when = _as_date(value)
        if when is None:
            return value
        fmt = arg or "%Y-%m-%d"
        try:
            return when.strftime(fmt[:100])
        except ValueError:
            return value
    if name == "json":
        return json.dumps(value, ensure_ascii=False, default=str)
    text = _as_text(value)
    if name == "upper":
        return text.upper()
    if name == "lower":
        return text.lower()
    if name == "title":
        return text.title()
    if name == "capitalize":
        return text.capitalize()
    if name == "trim":
        return text.strip()
    if name == "first_word":
        return text.split()[0] if text.split() else ""
    if name == "truncate":
        try:
            n = max(0, min(int(arg or "80"), MAX_OUTPUT))
        except ValueError:
            n = 80
        return text if len(text) <= n else text[: max(n - 1, 0)] + "…"
    return value


def evaluate(expr: str, values: dict[str, Any]) -> Any:
    path, filters = parse(expr)
    value = lookup(values, path)
    for name, arg in filters:
        value = apply_filter(value, name, arg)
    return value


def render(text: str, values: dict[str, Any], *, escape: Any = None) -> str:
    """Replace each placeholder by its value as text; a missing variable renders as "" (or its default).

    ``escape`` post-processes each inserted value (``json.dumps`` for a JSON body), so a contact's
    answer can never break out of the string it was put in.
    """

    def one(m: re.Match[str]) -> str:
        try:
            value = evaluate(m.group(1), values)
        except TemplateError:
            return ""
        text = _as_text(value)
        return escape(text) if escape else text

    out = PLACEHOLDER.sub(one, text or "")
    return out[:MAX_OUTPUT] if escape is None else out


def render_value(text: str, values: dict[str, Any]) -> Any:
    """A template that is exactly one placeholder keeps its value's type (a number stays a number)."""
    m = PLACEHOLDER.fullmatch((text or "").strip())
    if m:
        try:
            return evaluate(m.group(1), values)
        except TemplateError:
            return None
    return render(text, values)
