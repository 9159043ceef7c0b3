"""SQL of the WhatsApp channel."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.channels.whatsapp.models import WhatsAppDelivery, WhatsAppNumber, WhatsAppTemplate
from frontdesk.inboxes.models import Inbox
from frontdesk.messages.models import Message


async def inbox_for_number(session: AsyncSession, phone_number_id: str) -> Inbox | None:
    return await session.scalar(
        select(Inbox)
        .join(WhatsAppNumber, WhatsAppNumber.inbox_id == Inbox.id)
        .where(WhatsAppNumber.phone_number_id == phone_number_id, Inbox.deleted_at.is_(None))
    )


async def number_of_inbox(session: AsyncSession, inbox_id: uuid.UUID) -> WhatsAppNumber | None:
    return await session.scalar(select(WhatsAppNumber).where(WhatsAppNumber.inbox_id == inbox_id))


async def number_taken(session: AsyncSession, phone_number_id: str, inbox_id: uuid.UUID) -> bool:
    row = await session.scalar(select(WhatsAppNumber).where(WhatsAppNumber.phone_number_id == phone_number_id))
    return row is not None and row.inbox_id != inbox_id


async def whatsapp_inboxes(session: AsyncSession) -> list[Inbox]:
    return list(await session.scalars(select(Inbox).where(Inbox.channel == "whatsapp", Inbox.deleted_at.is_(None))))


async def delivery(session: AsyncSession, delivery_id: uuid.UUID) -> WhatsAppDelivery | None:
    return await session.get(WhatsAppDelivery, delivery_id)


async def message_by_external_id(session: AsyncSession, organization_id: uuid.UUID, external_id: str) -> Message | None:
    return await session.scalar(
        select(Message)
        .where(Message.organization_id == organization_id, Message.external_id == external_id)
        .order_by(Message.created_at.desc())
        .limit(1)
    )


async def templates(session: AsyncSession, org_ids: Iterable[uuid.UUID], inbox_id: uuid.UUID) -> list[WhatsAppTemplate]:
    return list(
        await session.scalars(
            select(WhatsAppTemplate)
            .where(WhatsAppTemplate.inbox_id == inbox_id, WhatsAppTemplate.organization_id.in_(list(org_ids)))
            .order_by(WhatsAppTemplate.name, WhatsAppTemplate.language)
        )
    )


async def template(session: AsyncSession, inbox_id: uuid.UUID, name: str, language: str) -> WhatsAppTemplate | None:
    return await session.scalar(
        select(WhatsAppTemplate).where(
            WhatsAppTemplate.inbox_id == inbox_id, WhatsAppTemplate.name == name, WhatsAppTemplate.language == language
        )
    )
