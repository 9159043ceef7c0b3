"""Canned responses: saved replies an agent inserts by typing ``/shortcut`` in the composer."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.conversations import repository, schemas
from frontdesk.conversations.models import CannedResponse
from frontdesk.kit.errors import Conflict, NotFound


def _now(session: AsyncSession) -> datetime:
    return session.info["runtime"].clock.now()


async def list_canned(session: AsyncSession, scope: OrgScope, *, prefix: str | None) -> list[CannedResponse]:
    return await repository.canned(session, scope.ids, prefix=(prefix or "").strip().lstrip("/") or None)


async def _canned(session: AsyncSession, scope: OrgScope, canned_id: uuid.UUID) -> CannedResponse:
    row = await repository.canned_one(session, scope.ids, canned_id)
    if row is None:
        raise NotFound("No such canned response.")
    return row


async def _free_shortcut(session: AsyncSession, scope: OrgScope, shortcut: str, *, mine: uuid.UUID | None) -> str:
    shortcut = shortcut.lstrip("/")
    taken = await repository.canned_by_shortcut(session, scope.organization_id, shortcut)
    if taken is not None and taken.id != mine:
        raise Conflict(f"/{shortcut} is already a canned response.", code="shortcut_taken")
    return shortcut


async def _flush_canned(session: AsyncSession, row: CannedResponse) -> None:
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Someone saved the same shortcut a moment ago.
        raise Conflict(f"/{row.shortcut} is already a canned response.", code="shortcut_taken") from None


async def create_canned(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.CannedResponseCreate
) -> CannedResponse:
    shortcut = await _free_shortcut(session, scope, data.shortcut, mine=None)
    row = CannedResponse(
        organization_id=scope.organization_id, shortcut=shortcut, content=data.content, created_at=_now(session)
    )
    await _flush_canned(session, row)
    record(
        session,
        "canned_response.created",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="canned_response",
        target_id=row.id,
        details={"shortcut": shortcut},
    )
    return row


async def update_canned(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    canned_id: uuid.UUID,
    data: schemas.CannedResponseUpdate,
) -> CannedResponse:
    row = await _canned(session, scope, canned_id)
    if data.shortcut is not None:
        row.shortcut = await _free_shortcut(session, scope, data.shortcut, mine=row.id)
    if data.content is not None:
        row.content = data.content
    await _flush_canned(session, row)
    record(
        session,
        "canned_response.updated",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="canned_response",
        target_id=row.id,
        details={"shortcut": row.shortcut},
    )
    return row


async def delete_canned(session: AsyncSession, scope: OrgScope, subject: AuthSubject, canned_id: uuid.UUID) -> None:
    row = await _canned(session, scope, canned_id)
    await repository.delete_canned(session, row)
    record(
        session,
        "canned_response.deleted",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="canned_response",
        target_id=row.id,
        details={"shortcut": row.shortcut},
    )
