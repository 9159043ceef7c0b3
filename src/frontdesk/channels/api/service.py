"""The API channel: a business's own server speaks for its customers."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.channels.api import schemas
from frontdesk.contacts.service import find_or_create
from frontdesk.conversations import inbound
from frontdesk.conversations import repository as conversations
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes import repository as inboxes
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.errors import Conflict, NotFound
from frontdesk.messages import repository as messages
from frontdesk.messages.models import Message
from frontdesk.messages.service import to_schema


async def api_inbox(session: AsyncSession, scope: OrgScope, inbox_id: uuid.UUID) -> Inbox:
    inbox = await inboxes.get(session, scope.ids, inbox_id)
    if inbox is None:
        raise NotFound("No such inbox.")
    if inbox.channel != "api":
        raise Conflict("This inbox is not an API inbox.", code="wrong_channel")
    return inbox


async def post_message(
    session: AsyncSession, scope: OrgScope, inbox_id: uuid.UUID, data: schemas.ApiMessageCreate
) -> schemas.ApiMessageCreated:
    inbox = await api_inbox(session, scope, inbox_id)
    contact, _ = await find_or_create(
        session,
        inbox.organization_id,
        channel="api",
        external_id=data.contact.external_id,
        name=data.contact.name,
        email=data.contact.email,
        phone=data.contact.phone,
    )
    # Fill gaps the integrator now knows about; never overwrite what agents may have corrected.
    contact.name = contact.name or data.contact.name
    contact.email = contact.email or data.contact.email
    contact.phone = contact.phone or data.contact.phone
    conv, message, created = await inbound.receive(
        session, inbox, contact, content=data.content, client_id=data.client_id
    )
    return schemas.ApiMessageCreated(
        conversation_id=conv.id, contact_id=contact.id, created=created, message=to_schema(message, for_agent=False)
    )


async def conversation_messages(
    session: AsyncSession,
    scope: OrgScope,
    inbox_id: uuid.UUID,
    conversation_id: uuid.UUID,
    *,
    after: str | None,
    limit: int,
) -> tuple[list[Message], str | None]:
    inbox = await api_inbox(session, scope, inbox_id)
    conv: Conversation | None = await conversations.get(session, scope.ids, conversation_id)
    if conv is None or conv.inbox_id != inbox.id:
        raise NotFound("No such conversation in this inbox.")
    return await messages.timeline(session, conv.id, after=after, limit=limit, include_private=False)
