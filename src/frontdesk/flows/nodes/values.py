"""Typed values from a literal, a template or an expression, shared by set_state and set_attribute."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from frontdesk.flows import expressions, templating
from frontdesk.flows.nodes.base import NodeFailed

ValueType = Literal["string", "number", "boolean", "date", "json"]


class ValueSpec(BaseModel):
    value_type: ValueType = "string"
    source: Literal["literal", "template", "expression"] = "literal"
    value: Any = Field(None, description="The literal, the template text, or the expression")

    def value_templates(self) -> list[str]:
        return [self.value] if self.source == "template" and isinstance(self.value, str) else []

    def value_check(self) -> list[str]:
        if self.source == "expression":
            try:
                expressions.check(str(self.value or ""))
            except expressions.ExpressionError as exc:
                return [f"Expression: {exc}"]
        if self.source == "literal":
            try:
                coerce(self.value_type, self.value)
            except NodeFailed as exc:
                return [str(exc)]
        return []

    def resolve(self, values: dict[str, Any]) -> Any:
        if self.source == "literal":
            raw = self.value
        elif self.source == "template":
            raw = templating.render_value(str(self.value or ""), values)
        else:
            try:
                raw = expressions.evaluate(str(self.value or ""), values)
            except expressions.ExpressionError as exc:
                raise NodeFailed(f"expression failed: {exc}") from None
        return coerce(self.value_type, raw)


def coerce(kind: str, raw: Any) -> Any:
    """The value as ``kind`` in JSON-storable form, or :class:`NodeFailed` saying why not."""
    try:
        if kind == "string":
            return "" if raw is None else templating._as_text(raw)[:4000]
        if kind == "number":
            if isinstance(raw, bool) or raw is None or raw == "":
                raise ValueError
            number = float(raw)
            if number != number or abs(number) == float("inf"):
                raise ValueError
            return int(number) if number.is_integer() else number
        if kind == "boolean":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("true", "yes", "1", "y"):
                return True
            if text in ("false", "no", "0", "n", ""):
                return False
            raise ValueError
        if kind == "date":
            if isinstance(raw, datetime | date):
                return raw.isoformat()
            text = str(raw).strip()
            return (datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)).isoformat()
        if kind == "json":
            value = json.loads(raw) if isinstance(raw, str) else raw
            if len(json.dumps(value, default=str)) > 16_384:
                raise NodeFailed("JSON values are limited to 16 KiB")
            return value
    except (TypeError, ValueError, json.JSONDecodeError):
        raise NodeFailed(f"{raw!r} is not a valid {kind}") from None
    raise NodeFailed(f"unknown type {kind}")
