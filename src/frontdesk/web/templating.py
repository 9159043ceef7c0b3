"""The Jinja2 environment of the pages: autoescaped, strict about missing variables, static URLs versioned."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from frontdesk.kit.clock import as_utc

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


@cache
def static_url(path: str) -> str:
    """A content hash in the URL lets browsers cache static files for long without serving stale ones."""
    file = STATIC_DIR / path
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.is_file() else "0"
    return f"/static/{path}?v={digest}"


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@pass_context
def when(context: Context, value: datetime | None, *, date_only: bool = False) -> Markup:
    """A ``<time>`` in the organization's time zone, with the exact UTC instant for machines."""
    if value is None:
        return Markup('<span class="muted">Never</span>')
    page = context.get("page")
    tz = _zone(page.timezone if page is not None else None)
    utc = as_utc(value)
    local = utc.astimezone(tz)
    shown = local.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")
    label = local.strftime("%Z") if not date_only else ""
    text = f"{shown} {label}".strip()
    return Markup('<time datetime="{}">{}</time>').format(utc.isoformat(), text)


def humanize(value: str) -> str:
    return value.replace("_", " ").replace(".", " ")


def details_text(details: Any) -> str:
    if not isinstance(details, dict) or not details:
        return ""
    return "; ".join(f"{k}: {v}" for k, v in details.items())


def _make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = static_url
    env.globals["when"] = when
    env.filters["humanize"] = humanize
    env.filters["details_text"] = details_text
    return env


ENV = _make_env()


def render_template(template_name: str, /, **context: Any) -> str:
    return ENV.get_template(template_name).render(**context)


__all__ = ["ENV", "escape", "render_template", "static_url"]
