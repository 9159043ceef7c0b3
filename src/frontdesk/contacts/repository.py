"""SQL about contacts, their channel identities and attributes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact, ContactAttribute, ContactIdentity
from frontdesk.kit.errors import ValidationFailed


async def get(session: AsyncSession, org_ids: Iterable[uuid.UUID], contact_id: uuid.UUID) -> Contact | None:
    return await session.scalar(
        select(Contact).where(Contact.id == contact_id, Contact.organization_id.in_(list(org_ids)))
    )


async def by_identity(session: AsyncSession, org_id: uuid.UUID, channel: str, external_id: str) -> Contact | None:
    return await session.scalar(
        select(Contact)
        .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
        .where(
            ContactIdentity.organization_id == org_id,
            ContactIdentity.channel == channel,
            ContactIdentity.external_id == external_id,
        )
    )


async def identities(session: AsyncSession, contact_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
    out: dict[uuid.UUID, dict[str, str]] = {cid: {} for cid in contact_ids}
    if contact_ids:
        rows = await session.scalars(select(ContactIdentity).where(ContactIdentity.contact_id.in_(contact_ids)))
        for row in rows:
            out[row.contact_id][row.channel] = row.external_id
    return out


async def attributes(session: AsyncSession, contact_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ContactAttribute]]:
    out: dict[uuid.UUID, list[ContactAttribute]] = {cid: [] for cid in contact_ids}
    if contact_ids:
        rows = await session.scalars(
            select(ContactAttribute).where(ContactAttribute.contact_id.in_(contact_ids)).order_by(ContactAttribute.key)
        )
        for row in rows:
            out[row.contact_id].append(row)
    return out


async def attribute(session: AsyncSession, contact_id: uuid.UUID, key: str) -> ContactAttribute | None:
    return await session.scalar(
        select(ContactAttribute).where(ContactAttribute.contact_id == contact_id, ContactAttribute.key == key)
    )


OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "contains", "exists")


def search(
    org_ids: Iterable[uuid.UUID], *, q: str | None, attribute_filters: list[tuple[str, str, str, Any]]
) -> Select[Any]:
    """``attribute_filters``: (key, operator, column, value) tuples, already typed by the service."""
    stmt = select(Contact).where(Contact.organization_id.in_(list(org_ids)))
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Contact.name.ilike(like), Contact.email.ilike(like), Contact.phone.ilike(like)))
    for key, op, column, value in attribute_filters:
        col = getattr(ContactAttribute, column)
        sub = select(ContactAttribute.contact_id).where(
            ContactAttribute.key == key, ContactAttribute.organization_id.in_(list(org_ids))
        )
        if op == "exists":
            pass
        elif op == "eq":
            sub = sub.where(col == value)
        elif op == "ne":
            sub = sub.where(col != value)
        elif op == "gt":
            sub = sub.where(col > value)
        elif op == "gte":
            sub = sub.where(col >= value)
        elif op == "lt":
            sub = sub.where(col < value)
        elif op == "lte":
            sub = sub.where(col <= value)
        elif op == "contains":
            sub = sub.where(col.contains(str(value), autoescape=True))
        else:
            raise ValidationFailed(f"Unknown operator {op!r}.", code="invalid_filter")
        stmt = stmt.where(Contact.id.in_(sub))
    return stmt.order_by(Contact.created_at.desc(), Contact.id.desc())
