"""SQL for installation operators.

Operators stand above tenancy, so these queries span every organization on purpose. They read
counts and organization rows only; nothing here selects conversation content.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.apikeys.models import ApiKey
from frontdesk.audit.models import AuditEvent
from frontdesk.kit.jobs import PENDING, Job
from frontdesk.mail.models import FAILED, LOGGED, SENT, MailMessage
from frontdesk.orgs.models import ACTIVE, SUSPENDED, Membership, Organization
from frontdesk.users.models import User

DELIVERED = (SENT, LOGGED)


def organizations(*, q: str | None = None, status: str | None = None) -> Select[Any]:
    stmt = select(Organization)
    if q:
        needle = q.strip().lower()
        stmt = stmt.where(
            or_(
                func.lower(Organization.name).contains(needle, autoescape=True),
                Organization.slug.contains(needle, autoescape=True),
            )
        )
    if status:
        stmt = stmt.where(Organization.status == status)
    return stmt.order_by(func.lower(Organization.name), Organization.id)


async def get(session: AsyncSession, org_id: uuid.UUID) -> Organization | None:
    return await session.get(Organization, org_id)


def _active_keys(now: datetime) -> Any:
    return ApiKey.revoked_at.is_(None) & (ApiKey.expires_at.is_(None) | (ApiKey.expires_at > now))


async def _grouped(session: AsyncSession, column: Any, ids: list[uuid.UUID], *where: Any) -> dict[uuid.UUID, int]:
    rows = await session.execute(select(column, func.count()).where(column.in_(ids), *where).group_by(column))
    return {org_id: int(count) for org_id, count in rows.all()}


async def usage_by_org(
    session: AsyncSession, org_ids: Iterable[uuid.UUID], *, now: datetime, since: datetime
) -> dict[uuid.UUID, dict[str, int]]:
    """Per-organization counts for one page of organizations: four grouped queries, not four per row."""
    ids = list(org_ids)
    if not ids:
        return {}
    members = await _grouped(session, Membership.organization_id, ids)
    keys = await _grouped(session, ApiKey.organization_id, ids, _active_keys(now))
    audit = await _grouped(session, AuditEvent.organization_id, ids, AuditEvent.created_at >= since)
    mail = await _grouped(session, MailMessage.organization_id, ids, MailMessage.status.in_(DELIVERED))
    return {
        org_id: {
            "members": members.get(org_id, 0),
            "api_keys": keys.get(org_id, 0),
            "audit_events_30d": audit.get(org_id, 0),
            "mail_sent": mail.get(org_id, 0),
        }
        for org_id in ids
    }


async def _count(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def totals(session: AsyncSession, *, now: datetime, since: datetime) -> dict[str, int]:
    rows = await session.execute(select(Organization.status, func.count()).group_by(Organization.status))
    by_status: dict[str, int] = {status: int(count) for status, count in rows.all()}
    return {
        "organizations": sum(by_status.values()),
        "active_organizations": by_status.get(ACTIVE, 0),
        "suspended_organizations": by_status.get(SUSPENDED, 0),
        "users": await _count(session, User),
        "operators": await _count(session, User, User.is_operator.is_(True)),
        "memberships": await _count(session, Membership),
        "api_keys": await _count(session, ApiKey, _active_keys(now)),
        "audit_events_30d": await _count(session, AuditEvent, AuditEvent.created_at >= since),
        "mail_sent": await _count(session, MailMessage, MailMessage.status.in_(DELIVERED)),
        "mail_failed": await _count(session, MailMessage, MailMessage.status == FAILED),
    }


async def delete_organization(session: AsyncSession, org: Organization) -> None:
    """Tenant tables cascade from the organization row; jobs carry the id without a foreign key."""
    await session.flush()
    await session.execute(delete(Job).where(Job.organization_id == org.id))
    await session.execute(delete(Organization).where(Organization.id == org.id))
    # The loaded object would otherwise still answer session.get() for a row that is gone.
    session.expunge(org)


async def oldest_due(session: AsyncSession, now: datetime) -> datetime | None:
    return await session.scalar(select(func.min(Job.due_at)).where(Job.status == PENDING, Job.due_at <= now))


async def schema_revision(session: AsyncSession) -> str | None:
    rows = await session.execute(text("SELECT version_num FROM alembic_version"))
    return ",".join(sorted(r[0] for r in rows.all())) or None


async def database_version(session: AsyncSession) -> str | None:
    conn = await session.connection()
    info = conn.dialect.server_version_info
    return ".".join(str(part) for part in info) if info else None
