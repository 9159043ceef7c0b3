"""Queueing email. The message row and its delivery job commit with the change that caused them."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.ids import new_id
from frontdesk.kit.jobs import enqueue
from frontdesk.mail.models import MailMessage


def queue_mail(
    session: AsyncSession,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    organization_id: uuid.UUID | None = None,
    kind: str = "general",
) -> MailMessage:
    message = MailMessage(
        id=new_id(),
        organization_id=organization_id,
        to_address=to,
        subject=subject,
        body_text=text,
        body_html=html,
        kind=kind,
        created_at=session.info["runtime"].clock.now(),
    )
    session.add(message)
    enqueue(session, "mail.send", {"mail_id": str(message.id)}, organization_id=organization_id)
    return message
