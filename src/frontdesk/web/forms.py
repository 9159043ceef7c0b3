"""Reading HTML forms and turning validation failures into messages a person can act on."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from frontdesk.kit.errors import NotFound, ValidationFailed

M = TypeVar("M", bound=BaseModel)


def text(form: FormData, name: str, *, strip: bool = True, limit: int = 1000) -> str:
    """A single text field; files and missing fields read as empty, overlong input is cut."""
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    value = _no_nul(value[:limit], name)
    return value.strip() if strip else value


def texts(form: FormData, name: str, *, limit: int = 200) -> list[str]:
    return [_no_nul(v[:limit], name) for v in form.getlist(name) if isinstance(v, str) and v]


def _no_nul(value: str, name: str) -> str:
    # PostgreSQL cannot store or even compare text holding NUL; refuse it as the JSON API does.
    if "\x00" in value:
        raise ValidationFailed("Text may not contain NUL characters.", code="invalid_text", details={"field": name})
    return value


def parse_id(raw: str, what: str = "item") -> uuid.UUID:
    """Ids come from our own links; anything else is simply not there."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(f"No such {what}.") from None


_MESSAGES = {
    "string_too_short": "Use at least {min_length} characters.",
    "string_too_long": "Use at most {max_length} characters.",
    "missing": "This is required.",
    "too_short": "Choose at least {min_length}.",
}


def _message(err: Any) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind in _MESSAGES:
        try:
            return _MESSAGES[kind].format(**ctx)
        except (KeyError, IndexError):
            return _MESSAGES[kind].split("{")[0].strip() or str(err.get("msg"))
    if kind == "value_error" and "email" in str(err.get("msg", "")).lower():
        return "Enter a valid email address, like name@example.com."
    if kind == "enum":
        return "Choose one of the options."
    message = str(err.get("msg", "This value is not valid."))
    return message.removeprefix("Value error, ")


def field_errors(exc: ValidationError) -> dict[str, str]:
    """The first problem of each field, keyed by the field's name in the form."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = err.get("loc") or ("__all__",)
        name = str(loc[0])
        errors.setdefault(name, _message(err))
    return errors


def validate(model: type[M], data: dict[str, Any]) -> tuple[M | None, dict[str, str]]:
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, field_errors(exc)
