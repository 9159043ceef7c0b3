"""Recording audit events. Every security-relevant or administrative change calls :func:`record`."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.models import AuditEvent
from frontdesk.authz.subject import AuthSubject


def record(
    session: AsyncSession,
    action: str,
    *,
    organization_id: uuid.UUID | None,
    subject: AuthSubject | None = None,
    actor_label: str | None = None,
    target_type: str | None = None,
    target_id: object | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    actor_type: str
    if subject is not None:
        actor_type = subject.kind
        actor_id = subject.user_id or subject.api_key_id
        label = actor_label or subject.label
        ip = ip or subject.ip
    else:
        actor_type, actor_id, label = "system", None, actor_label or "system"
    event = AuditEvent(
        organization_id=organization_id,
        actor_type=actor_type,
        actor_id=actor_id,
        actor_label=label,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        ip=ip,
        details=details or {},
        created_at=session.info["runtime"].clock.now(),
    )
    session.add(event)
    return event
