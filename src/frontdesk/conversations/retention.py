"""Conversation retention: an organization keeps conversations for N days; an admin purges older ones.

A purge is a row with progress and a job that deletes in small batches (each its own transaction, so
the database is never locked for long and progress shows as it goes). A conversation's messages go
with it (foreign keys cascade). The audit log records who started the purge, with the cut-off, and
what it removed when it ends.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.conversations.models import Conversation
from frontdesk.kit.db import transaction
from frontdesk.kit.errors import Conflict, NotFound, ValidationFailed
from frontdesk.kit.jobs import enqueue
from frontdesk.kit.pagination import PageParams, paginate
from frontdesk.kit.runtime import Runtime
from frontdesk.leads.models import ConversationPurge, ConversationRetention

BATCH = 200
MAX_DAYS = 36_500
PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


def _now(session: AsyncSession) -> datetime:
    now: datetime = session.info["runtime"].clock.now()
    return now


async def get_policy(session: AsyncSession, organization_id: uuid.UUID) -> ConversationRetention | None:
    return await session.scalar(
        select(ConversationRetention).where(ConversationRetention.organization_id == organization_id)
    )


async def retention_days(session: AsyncSession, scope: OrgScope) -> int | None:
    row = await get_policy(session, scope.organization_id)
    return row.retention_days if row else None


async def set_retention(session: AsyncSession, scope: OrgScope, subject: AuthSubject, days: int | None) -> int | None:
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(f"Retention is 1 to {MAX_DAYS} days, or none.", code="retention_invalid")
    row = await get_policy(session, scope.organization_id)
    old = row.retention_days if row else None
    if row is None:
        row = ConversationRetention(organization_id=scope.organization_id)
        session.add(row)
    row.retention_days = days
    row.updated_at = _now(session)
    if old != days:
        record(
            session,
            "conversations.retention_changed",
            organization_id=scope.organization_id,
            subject=subject,
            details={"from_days": old, "to_days": days},
        )
    await session.flush()
    return days


def _older_than(organization_id: uuid.UUID, cutoff: datetime) -> object:
    # A conversation's age is its last activity; one never active counts from its creation.
    return (Conversation.organization_id == organization_id) & (
        func.coalesce(Conversation.last_activity_at, Conversation.created_at) < cutoff
    )


async def start_purge(session: AsyncSession, scope: OrgScope, subject: AuthSubject) -> ConversationPurge:
    days = await retention_days(session, scope)
    if days is None:
        raise ValidationFailed("Set how many days conversations are kept before purging.", code="retention_not_set")
    running = await session.scalar(
        select(ConversationPurge.id).where(
            ConversationPurge.organization_id == scope.organization_id,
            ConversationPurge.status.in_([PENDING, RUNNING]),
        )
    )
    if running is not None:
        raise Conflict("A purge is already running.", code="purge_running", details={"purge_id": str(running)})
    now = _now(session)
    cutoff = now - timedelta(days=days)
    total = int(
        await session.scalar(select(func.count()).where(_older_than(scope.organization_id, cutoff))) or 0  # type: ignore[arg-type]
    )
    purge = ConversationPurge(
        organization_id=scope.organization_id,
        cutoff=cutoff,
        status=PENDING,
        total=total,
        deleted=0,
        started_by=subject.user_id,
        created_at=now,
    )
    session.add(purge)
    await session.flush()
    record(
        session,
        "conversations.purge_started",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="conversation_purge",
        target_id=purge.id,
        details={"retention_days": days, "cutoff": cutoff.isoformat(), "conversations": total},
    )
    enqueue(
        session,
        "conversations.retention_purge",
        {"purge_id": str(purge.id)},
        organization_id=scope.organization_id,
    )
    return purge


async def get_purge(session: AsyncSession, scope: OrgScope, purge_id: uuid.UUID) -> ConversationPurge:
    row = await session.scalar(
        select(ConversationPurge).where(
            ConversationPurge.id == purge_id, ConversationPurge.organization_id == scope.organization_id
        )
    )
    if row is None:
        raise NotFound("No such purge.", code="purge_not_found")
    return row


async def list_purges(
    session: AsyncSession, scope: OrgScope, paging: PageParams
) -> tuple[list[ConversationPurge], int]:
    stmt = (
        select(ConversationPurge)
        .where(ConversationPurge.organization_id == scope.organization_id)
        .order_by(ConversationPurge.created_at.desc(), ConversationPurge.id.desc())
    )
    return await paginate(session, stmt, paging)


async def run_purge(runtime: Runtime, purge_id: uuid.UUID) -> None:
    """The ``conversations.retention_purge`` job: idempotent, resumable (it deletes what is still old)."""
    async with transaction(runtime.sessionmaker) as session:
        purge = await session.get(ConversationPurge, purge_id)
        if purge is None or purge.status in (DONE, FAILED):
            return
        purge.status = RUNNING
        organization_id, cutoff = purge.organization_id, purge.cutoff
    deleted = 0
    try:
        while True:
            async with transaction(runtime.sessionmaker) as session:
                ids = list(
                    await session.scalars(
                        select(Conversation.id).where(_older_than(organization_id, cutoff)).limit(BATCH)  # type: ignore[arg-type]
                    )
                )
                if ids:
                    await session.execute(
                        delete(Conversation)
                        .where(Conversation.id.in_(ids), Conversation.organization_id == organization_id)
                        .execution_options(synchronize_session=False)
                    )
                purge = await session.get(ConversationPurge, purge_id)
                assert purge is not None
                purge.deleted += len(ids)
                deleted = purge.deleted
                purge.total = max(purge.total, purge.deleted)
            if len(ids) < BATCH:
                break
    except Exception as exc:
        async with transaction(runtime.sessionmaker) as session:
            purge = await session.get(ConversationPurge, purge_id)
            if purge is not None:
                purge.status, purge.error, purge.finished_at = (
                    FAILED,
                    f"{type(exc).__name__}"[:2000],
                    runtime.clock.now(),
                )
                record(
                    session,
                    "conversations.purge_failed",
                    organization_id=organization_id,
                    target_type="conversation_purge",
                    target_id=purge_id,
                    details={"deleted": purge.deleted, "error": type(exc).__name__},
                )
        raise
    async with transaction(runtime.sessionmaker) as session:
        purge = await session.get(ConversationPurge, purge_id)
        assert purge is not None
        purge.status, purge.finished_at = DONE, runtime.clock.now()
        record(
            session,
            "conversations.purged",
            organization_id=organization_id,
            target_type="conversation_purge",
            target_id=purge_id,
            details={"deleted": deleted, "cutoff": cutoff.isoformat()},
        )
