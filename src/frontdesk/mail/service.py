"""Queueing email. The message row and its delivery job commit with the change that caused them."""

from __future__ import annotations

import re
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.ids import new_id
from frontdesk.kit.jobs import enqueue
from frontdesk.mail import schemas
from frontdesk.mail.models import LOGGED, MailMessage

# Links we mail carry their secret as ``token=``: invitations and password resets.
_LINK_SECRET = re.compile(r"([?&]token=)[^\s&#]+")
HIDDEN = "[hidden]"


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


def visible_body(message: MailMessage, *, reveal_logged: bool = False) -> str:
    """The text of a mail as an outbox reader may see it: with the secrets of its links hidden.

    The outbox is read by people other than the recipient. An invitation link read there would let
    an admin accept an owner's invitation as a new account and become an owner; a reset link, take
    over the account. ``reveal_logged`` is for the operators' view of mail that no SMTP server
    carried (status ``logged``): there the outbox is the only way the link reaches anyone.
    """
    if reveal_logged and message.status == LOGGED:
        return message.body_text
    return _LINK_SECRET.sub(rf"\g<1>{HIDDEN}", message.body_text)


def outbox_entry(message: MailMessage, *, reveal_logged: bool = False) -> schemas.MailMessage:
    entry = schemas.MailMessage.model_validate(message)
    return entry.model_copy(update={"body_text": visible_body(message, reveal_logged=reveal_logged)})
