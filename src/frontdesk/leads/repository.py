"""All of the leads domain's SQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.leads.models import Lead, LeadChange, LeadExport, LeadSettings
from frontdesk.users.models import User


@dataclass
class LeadFilter:
    """What the table view, the API listing and exports filter by; all optional."""

    statuses: list[str] = field(default_factory=list)
    owner_id: uuid.UUID | None = None
    unowned: bool = False
    source: str | None = None
    q: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    follow_up_due_before: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "statuses": list(self.statuses),
            "owner_id": str(self.owner_id) if self.owner_id else None,
            "unowned": self.unowned,
            "source": self.source,
            "q": self.q,
            "created_from": self.created_from.isoformat() if self.created_from else None,
            "created_to": self.created_to.isoformat() if self.created_to else None,
            "follow_up_due_before": self.follow_up_due_before.isoformat() if self.follow_up_due_before else None,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> LeadFilter:
        def when(key: str) -> datetime | None:
            value = raw.get(key)
            return datetime.fromisoformat(value) if value else None

        owner = raw.get("owner_id")
        return cls(
            statuses=list(raw.get("statuses") or []),
            owner_id=uuid.UUID(owner) if owner else None,
            unowned=bool(raw.get("unowned")),
            source=raw.get("source"),
            q=raw.get("q"),
            created_from=when("created_from"),
            created_to=when("created_to"),
            follow_up_due_before=when("follow_up_due_before"),
        )


async def get(session: AsyncSession, org_ids: Iterable[uuid.UUID], lead_id: uuid.UUID) -> Lead | None:
    return await session.scalar(select(Lead).where(Lead.id == lead_id, Lead.organization_id.in_(list(org_ids))))


async def for_contact(session: AsyncSession, organization_id: uuid.UUID, contact_id: uuid.UUID) -> Lead | None:
    return await session.scalar(
        select(Lead).where(Lead.organization_id == organization_id, Lead.contact_id == contact_id)
    )


async def contact(session: AsyncSession, organization_id: uuid.UUID, contact_id: uuid.UUID) -> Contact | None:
    return await session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.organization_id == organization_id)
    )


def listing(org_ids: Iterable[uuid.UUID], filters: LeadFilter) -> Select[Any]:
    stmt = select(Lead).where(Lead.organization_id.in_(list(org_ids)))
    if filters.statuses:
        stmt = stmt.where(Lead.status.in_(filters.statuses))
    if filters.owner_id is not None:
        stmt = stmt.where(Lead.owner_id == filters.owner_id)
    if filters.unowned:
        stmt = stmt.where(Lead.owner_id.is_(None))
    if filters.source:
        stmt = stmt.where(Lead.source == filters.source)
    if filters.created_from is not None:
        stmt = stmt.where(Lead.created_at >= filters.created_from)
    if filters.created_to is not None:
        stmt = stmt.where(Lead.created_at < filters.created_to)
    if filters.follow_up_due_before is not None:
        stmt = stmt.where(Lead.next_follow_up_at.is_not(None), Lead.next_follow_up_at <= filters.follow_up_due_before)
    if filters.q and filters.q.strip():
        needle = filters.q.strip().lower()
        stmt = stmt.where(
            or_(
                *(
                    func.lower(func.coalesce(col, "")).contains(needle, autoescape=True)
                    for col in (Lead.name, Lead.email, Lead.phone, Lead.company, Lead.need)
                )
            )
        )
    return stmt


async def count(session: AsyncSession, stmt: Select[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


async def batch_after(
    session: AsyncSession, stmt: Select[Any], after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[Lead]:
    """Keyset pagination, oldest first: exports read in batches this way, never all rows at once."""
    if after is not None:
        stmt = stmt.where(tuple_(Lead.created_at, Lead.id) > tuple_(after[0], after[1]))
    return list(await session.scalars(stmt.order_by(Lead.created_at, Lead.id).limit(limit)))


async def changes(session: AsyncSession, lead_id: uuid.UUID, limit: int = 200) -> list[LeadChange]:
    return list(
        await session.scalars(
            select(LeadChange)
            .where(LeadChange.lead_id == lead_id)
            .order_by(LeadChange.created_at.desc(), LeadChange.id.desc())
            .limit(limit)
        )
    )


async def user_names(session: AsyncSession, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {uid: name or email for uid, name, email in rows.all()}


async def settings(session: AsyncSession, organization_id: uuid.UUID) -> LeadSettings | None:
    return await session.scalar(select(LeadSettings).where(LeadSettings.organization_id == organization_id))


async def due_follow_ups(session: AsyncSession, now: datetime, limit: int) -> list[Lead]:
    """Leads whose follow-up time has come and has not been notified yet, across organizations."""
    return list(
        await session.scalars(
            select(Lead)
            .where(
                Lead.next_follow_up_at.is_not(None),
                Lead.next_follow_up_at <= now,
                or_(Lead.follow_up_notified_at.is_(None), Lead.follow_up_notified_at != Lead.next_follow_up_at),
            )
            .order_by(Lead.next_follow_up_at)
            .limit(limit)
        )
    )


async def mark_notified(session: AsyncSession, lead_id: uuid.UUID, due: datetime) -> bool:
    """Claim the notification for this due time; False when another run already did."""
    result = await session.execute(
        update(Lead)
        .where(
            Lead.id == lead_id,
            Lead.next_follow_up_at == due,
            or_(Lead.follow_up_notified_at.is_(None), Lead.follow_up_notified_at != due),
        )
        .values(follow_up_notified_at=due)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def get_export(session: AsyncSession, org_ids: Iterable[uuid.UUID], export_id: uuid.UUID) -> LeadExport | None:
    return await session.scalar(
        select(LeadExport).where(LeadExport.id == export_id, LeadExport.organization_id.in_(list(org_ids)))
    )


def exports(org_ids: Iterable[uuid.UUID], kind: str) -> Select[Any]:
    return (
        select(LeadExport)
        .where(LeadExport.organization_id.in_(list(org_ids)), LeadExport.kind == kind)
        .order_by(LeadExport.created_at.desc(), LeadExport.id.desc())
    )


async def set_export_progress(session: AsyncSession, export_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        update(LeadExport)
        .where(LeadExport.id == export_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def report_for(session: AsyncSession, organization_id: uuid.UUID, day: Any) -> LeadExport | None:
    return await session.scalar(
        select(LeadExport).where(
            and_(
                LeadExport.organization_id == organization_id,
                LeadExport.kind == "report",
                LeadExport.report_date == day,
                # Reports someone asked for by hand do not stand in for the scheduled one.
                LeadExport.created_by.is_(None),
            )
        )
    )


async def status_counts(session: AsyncSession, org_ids: Iterable[uuid.UUID]) -> dict[str, int]:
    rows = await session.execute(
        select(Lead.status, func.count()).where(Lead.organization_id.in_(list(org_ids))).group_by(Lead.status)
    )
    return {status: int(n) for status, n in rows.all()}


async def rename_status(session: AsyncSession, organization_id: uuid.UUID, old: str, new: str) -> None:
    await session.execute(
        update(Lead)
        .where(Lead.organization_id == organization_id, Lead.status == old)
        .values(status=new)
        .execution_options(synchronize_session=False)
    )


async def delete_lead(session: AsyncSession, lead: Lead) -> None:
    await session.execute(delete(LeadChange).where(LeadChange.lead_id == lead.id))
    await session.delete(lead)
