"""A small, safe expression language for ``set_state``/``set_attribute`` (``state.count + 1``).

Python's own parser reads the text; only a whitelist of node kinds is evaluated, names resolve into
the flow's plain values, and numbers and strings are bounded, so an expression can neither reach
Python objects nor run for long.
"""

from __future__ import annotations

import ast
import operator
from typing import Any

from frontdesk.flows.templating import ROOTS, lookup

MAX_LENGTH = 500
MAX_STRING = 10_000
MAX_NUMBER = 10**15

_BIN = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_CMP = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_FUNCS: dict[str, Any] = {
    "len": len,
    "int": int,
    "float": float,
    "str": str,
    "round": round,
    "min": min,
    "max": max,
    "abs": abs,
    "lower": lambda s: str(s).lower(),
    "upper": lambda s: str(s).upper(),
}


class ExpressionError(ValueError):
    pass


def _path(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _path(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def _bounded(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise ExpressionError("number out of range")
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise ExpressionError("string too long")
    return value


def check(text: str) -> ast.Expression:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expressions are limited to {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"not a valid expression: {exc.msg}") from None
    for node in ast.walk(tree):
        allowed = (
            ast.Expression,
            ast.Constant,
            ast.Name,
            ast.Attribute,
            ast.BinOp,
            ast.UnaryOp,
            ast.BoolOp,
            ast.Compare,
            ast.IfExp,
            ast.Call,
            ast.List,
            ast.Tuple,
            ast.Load,
            ast.And,
            ast.Or,
            ast.Not,
            ast.USub,
            ast.UAdd,
            *_BIN,
            *_CMP,
        )
        if not isinstance(node, allowed):
            raise ExpressionError(f"{type(node).__name__} is not allowed in an expression")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in _FUNCS):
            raise ExpressionError(f"only these functions can be called: {', '.join(_FUNCS)}")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ExpressionError("names starting with _ are not allowed")
        if (
            isinstance(node, ast.Name)
            and node.id not in ROOTS
            and node.id not in _FUNCS
            and node.id not in ("True", "False", "None")
        ):
            raise ExpressionError(f"unknown name {node.id!r}; start variables with {', '.join(ROOTS)}")
    return tree


def variables(text: str) -> list[str]:
    tree = check(text)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name):
            path = _path(node)
            if path and path.split(".", 1)[0] in ROOTS and "." in path:
                out.append(path)
    return out


def evaluate(text: str, values: dict[str, Any]) -> Any:
    tree = check(text)

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return _bounded(node.value)
        if isinstance(node, ast.Name | ast.Attribute):
            path = _path(node)
            if path is None:
                raise ExpressionError("attributes can only be read from variables")
            return lookup(values, path)
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Mult) and (isinstance(left, str | list) or isinstance(right, str | list)):
                raise ExpressionError("repeating strings or lists is not allowed")
            try:
                return _bounded(_BIN[type(node.op)](left, right))
            except (TypeError, ZeroDivisionError) as exc:
                raise ExpressionError(str(exc)) from None
        if isinstance(node, ast.UnaryOp):
            value = ev(node.operand)
            if isinstance(node.op, ast.Not):
                return not value
            try:
                return -value if isinstance(node.op, ast.USub) else +value
            except TypeError as exc:
                raise ExpressionError(str(exc)) from None
        if isinstance(node, ast.BoolOp):
            result: Any = None
            for item in node.values:
                result = ev(item)
                if isinstance(node.op, ast.And) and not result:
                    return result
                if isinstance(node.op, ast.Or) and result:
                    return result
            return result
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = ev(comp)
                try:
                    if not _CMP[type(op)](left, right):
                        return False
                except TypeError:
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return ev(node.body) if ev(node.test) else ev(node.orelse)
        if isinstance(node, ast.List | ast.Tuple):
            return [ev(e) for e in node.elts]
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            try:
                return _bounded(_FUNCS[node.func.id](*[ev(a) for a in node.args]))
            except (TypeError, ValueError) as exc:
                raise ExpressionError(str(exc)) from None
        raise ExpressionError(f"{type(node).__name__} is not allowed")

    return ev(tree)
