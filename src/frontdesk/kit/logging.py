"""Structured logs: JSON lines in production, readable lines on a terminal; a request id on each.

Secrets are removed in one processor, after exceptions are formatted, so that neither a field named
like a secret nor a token embedded in a message, a URL or a traceback reaches the log. Records from
the standard library (uvicorn, SQLAlchemy, taskiq) go through the same processors, so an operator's
log shipper sees one format.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog

REDACTED = "[redacted]"

# The id of the request being served. A plain ContextVar set by the request middleware: cheaper per
# request than structlog's bind/unbind, and copied into tasks the request starts, like any context.
REQUEST_ID: ContextVar[str | None] = ContextVar("frontdesk_request_id", default=None)

# Fields whose value is a secret whatever it looks like. Matched against the words of the key
# (``smtp_password`` -> ``smtp``, ``password``) so that ``prompt_tokens`` stays readable.
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "token",
        "authorization",
        "cookie",
        "apikey",
        "credential",
        "credentials",
        "signature",
    }
)
SECRET_KEYS = frozenset({"key", "api_key", "private_key", "secret_key", "signing_key", "set-cookie", "x-api-key"})

_WORD_SPLIT = re.compile(r"[_\-\s.]+")

# Secrets inside free text: our JWTs, bearer credentials, API keys, credentials in URLs and
# one-time tokens in links (password reset and invitation mails are logged when SMTP is off).
_VALUE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    (re.compile(r"\bfdk_[A-Za-z0-9]+_[A-Za-z0-9_-]+"), "fdk_" + REDACTED),
    (re.compile(r"(://[^/\s:@]*:)[^@\s/]+@"), r"\1" + REDACTED + "@"),
    (
        re.compile(
            r"(?i)([?&;](?:token|access_token|refresh_token|code|key|api_key|password|secret|signature|sig)=)"
            r"[^&\s#\"'<>]+"
        ),
        r"\1" + REDACTED,
    ),
)
# A cheap pre-check: most log strings contain none of these, and skip the regexes.
_HINTS = ("eyJ", "earer", "asic", "fdk_", "@", "=")


def _secret_key(key: str) -> bool:
    lowered = key.lower()
    if lowered in SECRET_KEYS:
        return True
    return any(word in SECRET_WORDS for word in _WORD_SPLIT.split(lowered))


def scrub_text(text: str) -> str:
    if not any(hint in text for hint in _HINTS):
        return text
    for pattern, replacement in _VALUE_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _scrub(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if depth > 4:
        return value
    if isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and _secret_key(k) else _scrub(v, depth + 1)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(v, depth + 1) for v in value]
    return value


def redact(_logger: object, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Structlog processor: remove secrets by field name and by shape."""
    for key, value in event.items():
        if _secret_key(key):
            event[key] = REDACTED
        elif isinstance(value, str | dict | list | tuple):
            event[key] = _scrub(value)
    return event


def _add_request_id(_logger: object, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def _drop_color_message(_logger: object, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    # uvicorn adds a second, ANSI-coloured copy of its message.
    event.pop("color_message", None)
    return event


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time of writing, not when logging was set up,
    so a replaced stream (test capture, a daemon's redirection) never leaves us a closed file."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_STDERR = _CurrentStderr()


class _FrontdeskHandler(logging.StreamHandler):
    """Marks the root handler we own, so configuring again replaces it instead of stacking."""


_level = logging.INFO


def enabled_for(level: int) -> bool:
    """Cheaper than letting a filtered structlog call build a bound logger only to drop the line."""
    return level >= _level


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    global _level
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    _level = numeric
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact,
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(_STDERR),  # type: ignore[arg-type]
        # Not cached: the app factory may configure again (tests, benchmarks) and loggers made at
        # import time must follow the newest configuration.
        cache_logger_on_first_use=False,
    )

    handler = _FrontdeskHandler(_STDERR)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, _drop_color_message, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _FrontdeskHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for noisy in ("uvicorn.access", "taskiq", "aiosqlite", "asyncio", "httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    # uvicorn installs its own plain-text handlers; let its records reach ours instead.
    for name in ("uvicorn", "uvicorn.error"):
        uv = logging.getLogger(name)
        uv.handlers.clear()
        uv.propagate = True
