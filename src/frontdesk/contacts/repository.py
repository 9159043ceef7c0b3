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

# One parsed filter: the key, the operator, and the typed (column, value) readings of its value. A
# value such as "3" may mean the number 3 or the text "3"; the filter matches when any reading does,
# and since a row fills only the column of its own type, the others are NULL and never match.
AttributeFilter = tuple[str, str, list[tuple[str, Any]]]


def _compare(op: str, col: Any, value: Any) -> Any:
    if op == "eq":
        return col == value
    if op == "ne":
        return col != value
    if op == "gt":
        return col > value
    if op == "gte":
        return col >= value
    if op == "lt":
        return col < value
    if op == "lte":
        return col <= value
    if op == "contains":
        return col.icontains(str(value), autoescape=True)
    raise ValidationFailed(f"Unknown operator {op!r}.", code="invalid_filter")


def search(org_ids: Iterable[uuid.UUID], *, q: str | None, attribute_filters: list[AttributeFilter]) -> Select[Any]:
    """Contacts matching ``q`` (name, email or phone) and every attribute filter, newest first."""
    ids = list(org_ids)
    stmt = select(Contact).where(Contact.organization_id.in_(ids))
    if q and q.strip():
        term = q.strip()
        stmt = stmt.where(
            or_(
                Contact.name.icontains(term, autoescape=True),
                Contact.email.icontains(term, autoescape=True),
                Contact.phone.icontains(term, autoescape=True),
            )
        )
    for key, op, readings in attribute_filters:
        sub = select(ContactAttribute.contact_id).where(
            ContactAttribute.key == key, ContactAttribute.organization_id.in_(ids)
        )
        if op != "exists":
            sub = sub.where(or_(*(_compare(op, getattr(ContactAttribute, column), v) for column, v in readings)))
        stmt = stmt.where(Contact.id.in_(sub))
    return stmt.order_by(Contact.created_at.desc(), Contact.id.desc())


def conversations_of(org_ids: Iterable[uuid.UUID], contact_id: uuid.UUID) -> Select[Any]:
    """The contact's conversations in every inbox, newest first."""
    from frontdesk.conversations.models import Conversation

    return (
        select(Conversation)
        .where(Conversation.contact_id == contact_id, Conversation.organization_id.in_(list(org_ids)))
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
    )


async def delete_contact(session: AsyncSession, contact: Contact) -> None:
    await session.delete(contact)


async def delete_attribute(session: AsyncSession, row: ContactAttribute) -> None:
    await session.delete(row)
