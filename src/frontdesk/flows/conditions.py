"""Rules shared by the ``condition`` node and event-trigger conditions.

A rule compares a variable (``state.plan``, ``contact.attribute.vip``, ``message.text``,
``time.hour``, ``time.business_hours``, ``data.amount``) with a value; rules combine with all/any.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.flows import templating
from frontdesk.flows.regexguard import RegexRejected, compile_safe, search_limited

Operator = Literal[
    "==", "!=", ">", ">=", "<", "<=", "contains", "starts_with", "ends_with", "matches", "is_set", "is_empty", "in"
]
OPERATORS: tuple[str, ...] = Operator.__args__  # type: ignore[attr-defined]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    left: str = Field(min_length=1, max_length=200, description="A variable path, e.g. state.plan")
    op: Operator = "=="
    right: Any = Field(None, description="A literal, or a template such as {{state.limit}}")
    case_sensitive: bool = False


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["all", "any"] = "all"
    rules: list[Rule] = Field(default_factory=list, max_length=50)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _text(value: Any, case_sensitive: bool) -> str:
    text = templating._as_text(value)
    return text if case_sensitive else text.casefold()


def check_rule(rule: Rule) -> None:
    """Raise ValueError for a rule that can never be evaluated (bad regex, malformed template)."""
    if rule.op == "matches":
        try:
            compile_safe(str(rule.right or ""), case_sensitive=rule.case_sensitive)
        except RegexRejected as exc:
            raise ValueError(str(exc)) from None
    if isinstance(rule.right, str):
        templating.variables(rule.right)


def evaluate_rule(rule: Rule, values: dict[str, Any]) -> bool:
    left = templating.lookup(values, rule.left)
    right = templating.render_value(rule.right, values) if isinstance(rule.right, str) else rule.right
    op = rule.op
    if op == "is_set":
        return left is not None
    if op == "is_empty":
        return left in (None, "", [], {})
    if op in (">", ">=", "<", "<="):
        a, b = _number(left), _number(right)
        if a is None or b is None:
            if left is None or right is None:
                return False
            a_s, b_s = str(left), str(right)  # ISO dates and times order as text
            return {">": a_s > b_s, ">=": a_s >= b_s, "<": a_s < b_s, "<=": a_s <= b_s}[op]
        return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]
    if op in ("==", "!="):
        a, b = _number(left), _number(right)
        if a is not None and b is not None:
            equal = a == b
        elif isinstance(left, bool) or isinstance(right, bool):
            equal = (
                _text(left, False) in ("yes", "true")
                if right in (True, "true", "yes")
                else (_text(left, False) in ("no", "false", ""))
                if right in (False, "false", "no")
                else left == right
            )
        else:
            equal = _text(left, rule.case_sensitive) == _text(right, rule.case_sensitive)
        return equal if op == "==" else not equal
    if op == "in":
        options = right if isinstance(right, list) else [s.strip() for s in str(right or "").split(",")]
        needle = _text(left, rule.case_sensitive)
        return any(_text(o, rule.case_sensitive) == needle for o in options)
    if left is None:
        return False
    if isinstance(left, list) and op == "contains":
        return any(_text(x, rule.case_sensitive) == _text(right, rule.case_sensitive) for x in left)
    a_t, b_t = _text(left, rule.case_sensitive), _text(right, rule.case_sensitive)
    if op == "contains":
        return b_t in a_t
    if op == "starts_with":
        return a_t.startswith(b_t)
    if op == "ends_with":
        return a_t.endswith(b_t)
    if op == "matches":
        try:
            pattern = compile_safe(str(right or ""), case_sensitive=rule.case_sensitive)
        except RegexRejected:
            return False
        return search_limited(pattern, templating._as_text(left))
    return False


def evaluate(rules: RuleSet, values: dict[str, Any]) -> bool:
    if not rules.rules:
        return True
    results = (evaluate_rule(r, values) for r in rules.rules)
    return all(results) if rules.mode == "all" else any(results)


__all__ = ["OPERATORS", "Rule", "RuleSet", "check_rule", "evaluate", "evaluate_rule", "re"]
