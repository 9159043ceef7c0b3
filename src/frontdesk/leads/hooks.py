"""Small entry points other domains call, so they need not know how leads are kept."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.leads.service import capture_lead

log = structlog.get_logger("frontdesk.leads.hooks")


async def prechat_submitted(
    session: AsyncSession, organization_id: uuid.UUID, contact_id: uuid.UUID, values: dict[str, str | None]
) -> None:
    """The widget's pre-chat form was sent: what it carried becomes the contact's lead.

    A value the lead refuses (a phone number without a country code) is simply not stored; the
    visitor has already been answered by the form's own checks.
    """
    if not any((v or "").strip() for v in values.values()):
        return
    await capture_lead(
        session, organization_id=organization_id, contact_id=contact_id, source="prechat", fields=dict(values)
    )


async def message_received(session: AsyncSession, conversation: Any, message: Any) -> None:
    """A customer wrote: when the message carries an email or phone number, it becomes their lead.

    Only contact details start a lead (a question alone does not); with them, whatever else the
    rules find in the same message (name, company, need, budget, time frame) is kept, linked to the
    message. It runs in a savepoint and never fails the message's own intake.
    """
    from frontdesk.leads.extraction import rules

    text = getattr(message, "content", "") or ""
    if "@" not in text and not any(ch.isdigit() for ch in text):
        return
    found = rules(text)
    if "email" not in found and "phone" not in found:
        return
    try:
        async with session.begin_nested():
            await capture_lead(
                session,
                organization_id=conversation.organization_id,
                contact_id=conversation.contact_id,
                source="extraction",
                fields=dict(found),
                conversation_id=conversation.id,
                message_id=message.id,
            )
    except Exception:
        log.warning("lead_capture_from_message_failed", conversation_id=str(conversation.id), exc_info=True)
