"""Meeting types: what can be booked, for how long, by whom, and how far ahead."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.kit.errors import Conflict, NotFound, ValidationFailed
from frontdesk.scheduling import repository, schemas
from frontdesk.scheduling.models import Booking, MeetingType


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].strip("-")
    return slug or "meeting"


async def list_meeting_types(session: AsyncSession, scope: OrgScope) -> list[MeetingType]:
    return await repository.meeting_types(session, scope.ids)


async def get_meeting_type(session: AsyncSession, scope: OrgScope, type_id: uuid.UUID) -> MeetingType:
    found = await repository.meeting_type(session, scope.ids, type_id)
    if found is None:
        raise NotFound("No such meeting type.")
    return found


async def _check_agents(session: AsyncSession, org_id: uuid.UUID, agent_ids: list[uuid.UUID]) -> list[str]:
    members = await repository.member_ids(session, org_id, agent_ids)
    missing = [str(a) for a in agent_ids if a not in members]
    if missing:
        raise ValidationFailed(
            "Hosts must be members of the organization.", code="unknown_agent", details={"agent_ids": missing}
        )
    return [str(a) for a in dict.fromkeys(agent_ids)]


async def _only_default(session: AsyncSession, org_id: uuid.UUID, keep: MeetingType) -> None:
    for other in await repository.meeting_types(session, [org_id]):
        if other.id != keep.id and other.is_default:
            other.is_default = False


async def _flush_unique(session: AsyncSession, slug: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A meeting type already uses the address {slug!r}.", code="slug_taken") from exc


async def create_meeting_type(session: AsyncSession, scope: OrgScope, data: schemas.MeetingTypeCreate) -> MeetingType:
    org_id = scope.organization_id
    now: datetime = session.info["runtime"].clock.now()
    values = data.model_dump(exclude={"agent_ids", "slug"})
    slug = data.slug or slugify(data.name)
    row = MeetingType(
        id=uuid.uuid4(),
        organization_id=org_id,
        slug=slug,
        agent_ids=await _check_agents(session, org_id, data.agent_ids),
        created_at=now,
        **values,
    )
    existing = await repository.meeting_types(session, [org_id])
    if not existing:
        row.is_default = True
    session.add(row)
    await _flush_unique(session, slug)
    if row.is_default:
        await _only_default(session, org_id, row)
    return row


async def update_meeting_type(
    session: AsyncSession, scope: OrgScope, type_id: uuid.UUID, data: schemas.MeetingTypeUpdate
) -> MeetingType:
    row = await get_meeting_type(session, scope, type_id)
    changes = data.model_dump(exclude_unset=True)
    if "agent_ids" in changes:
        changes["agent_ids"] = await _check_agents(session, scope.organization_id, data.agent_ids or [])
    for key, value in changes.items():
        if value is None and key not in ("agent_ids", "reminder_minutes"):
            continue
        setattr(row, key, value)
    await _flush_unique(session, row.slug)
    if row.is_default:
        await _only_default(session, scope.organization_id, row)
    return row


async def delete_meeting_type(session: AsyncSession, scope: OrgScope, type_id: uuid.UUID) -> None:
    row = await get_meeting_type(session, scope, type_id)
    used = await session.scalar(select(func.count()).select_from(Booking).where(Booking.meeting_type_id == row.id))
    if used:
        raise Conflict(
            "This meeting type has bookings; switch it off (active: false) instead of deleting it.",
            code="meeting_type_in_use",
        )
    await session.delete(row)
    await session.flush()
