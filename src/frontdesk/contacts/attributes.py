"""Typed custom attributes: one column per type so that search stays indexed SQL on both dialects."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from frontdesk.contacts.models import ContactAttribute
from frontdesk.kit.errors import ValidationFailed

KEY = re.compile(r"^[a-z][a-z0-9_]{0,79}$")
MAX_JSON_BYTES = 16_384


def infer_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict | list):
        return "json"
    return "string"


def check_key(key: str) -> str:
    if not KEY.match(key):
        raise ValidationFailed(
            f"{key!r} is not a valid attribute key: use lowercase letters, digits and _ (start with a letter).",
            code="invalid_attribute_key",
        )
    return key


def coerce(key: str, type_: str | None, value: Any) -> tuple[str, dict[str, Any]]:
    """Validate ``value`` as ``type_`` and return the column values to store."""
    kind = type_ or infer_type(value)
    cols: dict[str, Any] = {
        "value_text": None,
        "value_number": None,
        "value_bool": None,
        "value_date": None,
        "value_json": None,
    }
    bad = ValidationFailed(
        f"Attribute {key!r}: {value!r} is not a valid {kind}.",
        code="invalid_attribute_value",
        details={"key": key, "type": kind},
    )
    if value is None:
        raise bad
    if kind == "string":
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise bad
        text = str(value)
        if len(text) > 4000:
            raise ValidationFailed(f"Attribute {key!r} is longer than 4000 characters.", code="attribute_too_long")
        cols["value_text"] = text
    elif kind == "number":
        if isinstance(value, bool):
            raise bad
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise bad from None
        if number != number or number in (float("inf"), float("-inf")):
            raise bad
        cols["value_number"] = number
    elif kind == "boolean":
        if isinstance(value, bool):
            cols["value_bool"] = value
        elif isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
            cols["value_bool"] = value.lower() in ("true", "yes")
        else:
            raise bad
    elif kind == "date":
        try:
            cols["value_date"] = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            raise bad from None
    elif kind == "json":
        if len(json.dumps(value)) > MAX_JSON_BYTES:
            raise ValidationFailed(
                f"Attribute {key!r} is larger than {MAX_JSON_BYTES} bytes.", code="attribute_too_large"
            )
        cols["value_json"] = value
    else:
        raise ValidationFailed(f"Unknown attribute type {kind!r}.", code="invalid_attribute_type")
    return kind, cols


def value_of(row: ContactAttribute) -> Any:
    return {
        "string": row.value_text,
        "number": row.value_number,
        "boolean": row.value_bool,
        "date": row.value_date,
        "json": row.value_json,
    }.get(row.type)
