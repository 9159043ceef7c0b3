from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select

from frontdesk.audit.models import AuditEvent
from frontdesk.audit.schemas import AuditFilter


def filtered(org_ids: Iterable[uuid.UUID] | None, f: AuditFilter) -> Select[Any]:
    """``org_ids=None`` means installation-level events only (operators)."""
    stmt = select(AuditEvent)
    if org_ids is None:
        stmt = stmt.where(AuditEvent.organization_id.is_(None))
    else:
        stmt = stmt.where(AuditEvent.organization_id.in_(list(org_ids)))
    if f.action:
        stmt = stmt.where(
            AuditEvent.action.startswith(f.action, autoescape=True)
            if f.action.endswith(".")
            else AuditEvent.action == f.action
        )
    if f.actor:
        stmt = stmt.where(AuditEvent.actor_label.contains(f.actor, autoescape=True))
    if f.target_type:
        stmt = stmt.where(AuditEvent.target_type == f.target_type)
    if f.since:
        stmt = stmt.where(AuditEvent.created_at >= f.since)
    if f.until:
        stmt = stmt.where(AuditEvent.created_at < f.until)
    return stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
