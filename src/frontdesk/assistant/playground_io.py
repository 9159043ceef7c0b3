"""Test cases in and out, as JSON or CSV, and real conversations exported in the same shape.

JSON: ``{"cases": [{"name", "turns": [{"role", "text"}], "expected_intent", "expected_contains",
"expected_escalate"}]}``. CSV: one row per turn, columns :data:`CSV_COLUMNS`; rows of one case share
its ``case`` name and the expectations are read from its first row. Spreadsheet users can write either.

Import reports problems per case (JSON) or per row (CSV) and imports everything else.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import playground
from frontdesk.assistant import playground_schemas as schemas
from frontdesk.assistant.playground_models import PlaygroundCase
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.conversations import service as conversations
from frontdesk.kit.errors import FrontdeskError, ValidationFailed
from frontdesk.messages.models import Message

CSV_COLUMNS = ["case", "turn", "role", "text", "expected_intent", "expected_contains", "expected_escalate"]
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_CASES = 1000
# Spreadsheets turn a leading =, +, - or @ into a formula; exported text is defused with a quote.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def case_dict(row: PlaygroundCase) -> dict[str, Any]:
    return {
        "name": row.name,
        "turns": [{"role": t["role"], "text": t["text"]} for t in row.turns],
        "expected_intent": row.expected_intent,
        "expected_contains": list(row.expected_contains or []),
        "expected_escalate": row.expected_escalate,
    }


def _safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def to_csv(cases: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for case in cases:
        for number, turn in enumerate(case["turns"], start=1):
            first = number == 1
            escalate = case.get("expected_escalate")
            writer.writerow(
                [
                    _safe_cell(case["name"]),
                    number,
                    turn["role"],
                    _safe_cell(turn["text"]),
                    _safe_cell(case.get("expected_intent") or "") if first else "",
                    _safe_cell(" | ".join(case.get("expected_contains") or [])) if first else "",
                    ("" if escalate is None else ("yes" if escalate else "no")) if first else "",
                ]
            )
    return out.getvalue()


def to_json(cases: list[dict[str, Any]]) -> str:
    return json.dumps({"cases": cases}, ensure_ascii=False, indent=2)


async def export_cases(session: AsyncSession, scope: OrgScope) -> list[dict[str, Any]]:
    return [case_dict(c) for c in await playground.list_cases(session, scope)]


async def export_conversation(
    session: AsyncSession, scope: OrgScope, conversation_id: uuid.UUID
) -> list[dict[str, Any]]:
    """A real conversation as a test case: what the customer said and what was answered.

    Agents' replies count as the answers the assistant should have given; private notes stay out.
    """
    conv = await conversations.get_conversation(session, scope, conversation_id)
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conv.id, Message.private.is_(False), Message.deleted_at.is_(None))
        .order_by(Message.created_at, Message.id)
        .limit(schemas.MAX_TURNS)
    )
    turns = [
        {"role": "customer" if m.sender_type == "contact" else "assistant", "text": m.content}
        for m in rows
        if m.content.strip() and m.sender_type != "system"
    ]
    name = f"Conversation {str(conv.id)[:8]}"
    return [{"name": name, "turns": turns, "expected_intent": None, "expected_contains": [], "expected_escalate": None}]


def _undefuse(value: str) -> str:
    """Undo :func:`_safe_cell`, so an exported file imports back unchanged."""
    return value[1:] if value.startswith("'") and value[1:2] in _FORMULA else value


def _bool(raw: str) -> bool | None:
    value = raw.strip().lower()
    if value in ("", "any"):
        return None
    if value in ("yes", "true", "1", "y"):
        return True
    if value in ("no", "false", "0", "n"):
        return False
    raise ValueError(f"expected_escalate must be yes, no or empty, not {raw!r}")


def parse_csv(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("case", "role", "text") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed(
            f"The CSV needs the columns {', '.join(CSV_COLUMNS)}; missing: {', '.join(missing)}.",
            code="import_columns_missing",
            details={"missing": missing},
        )
    cases: dict[str, dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []
    for line, raw in enumerate(reader, start=2):
        row = {k: _undefuse(v) for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}
        name = (row.get("case") or "").strip()
        role = (row.get("role") or "").strip().lower()
        text = row.get("text") or ""
        if not name or role not in ("customer", "assistant"):
            errors.append({"row": line, "message": "Each row needs a case name and a role (customer or assistant)."})
            continue
        case = cases.get(name)
        if case is None:
            try:
                escalate = _bool(row.get("expected_escalate") or "")
            except ValueError as exc:
                errors.append({"row": line, "message": str(exc)})
                escalate = None
            contains = [c.strip() for c in (row.get("expected_contains") or "").split("|") if c.strip()]
            case = cases[name] = {
                "name": name,
                "turns": [],
                "expected_intent": (row.get("expected_intent") or "").strip() or None,
                "expected_contains": contains,
                "expected_escalate": escalate,
            }
        case["turns"].append({"role": role, "text": text})
    return list(cases.values()), errors


def parse_json(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed("The file is not valid JSON.", code="import_invalid_json") from exc
    cases = data.get("cases") if isinstance(data, dict) else data
    if not isinstance(cases, list):
        raise ValidationFailed('The JSON needs a "cases" list.', code="import_invalid_json")
    return [c if isinstance(c, dict) else {} for c in cases]


async def import_cases(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, *, raw: bytes, fmt: str
) -> schemas.ImportReport:
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationFailed("The file is larger than 5 MB.", code="import_too_large")
    text = raw.decode("utf-8-sig", errors="replace")
    errors: list[dict[str, Any]] = []
    if fmt == "csv":
        items, errors = parse_csv(text)
    else:
        items = parse_json(text)
    if len(items) > MAX_IMPORT_CASES:
        raise ValidationFailed(f"A file may hold at most {MAX_IMPORT_CASES} cases.", code="import_too_many")
    created: list[schemas.Case] = []
    for index, item in enumerate(items):
        where = {"case": item.get("name") or f"#{index + 1}"}
        try:
            data = schemas.CaseCreate.model_validate(
                {k: v for k, v in item.items() if k in schemas.CaseCreate.model_fields}
            )
            async with session.begin_nested():
                row = await playground.create_case(session, scope, subject, data)
            created.append(playground.to_case(row))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first.get("loc", ()))
            errors.append({**where, "message": f"{loc}: {first.get('msg')}" if loc else str(first.get("msg"))})
        except FrontdeskError as exc:
            errors.append({**where, "message": exc.message})
    return schemas.ImportReport(created=len(created), errors=errors, cases=created)
