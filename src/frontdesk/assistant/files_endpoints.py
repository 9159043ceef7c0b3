"""Staff upload files into a conversation (the widget has its own route for customers)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import files
from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import OrgScope, require
from frontdesk.authz.subject import AuthSubject
from frontdesk.channels.web import storage
from frontdesk.conversations import service as conversations
from frontdesk.kit.errors import ValidationFailed
from frontdesk.messages.schemas import MAX_TEXT, AgentMessageCreate, Message
from frontdesk.messages.service import publish_update, to_schema

router = APIRouter(prefix="/api/v1", tags=["conversations"])


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(64 * 1024):
        yield chunk


async def send_file(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    conversation_id: uuid.UUID,
    *,
    upload: UploadFile,
    caption: str,
    private: bool,
    client_id: str | None,
) -> Message:
    """Store the file as the widget does (type proven by its bytes, size-limited), then send it."""
    conv = await conversations.get_conversation(session, scope, conversation_id)
    if len(caption) > MAX_TEXT:
        raise ValidationFailed(f"The caption is longer than {MAX_TEXT} characters.", code="caption_too_long")
    settings = session.info["runtime"].settings
    stored = await storage.save(
        settings,
        conv.organization_id,
        filename=upload.filename or "file",
        declared_type=upload.content_type or "",
        chunks=_chunks(upload),
    )
    kind = "image" if stored.content_type in files.IMAGE_TYPES else "file"
    data = AgentMessageCreate.model_construct(
        content=caption, private=private, content_type="text", choices=[], client_id=client_id
    )
    try:
        message, _ = await conversations.reply(session, scope, subject, conv.id, data)
    except BaseException:
        storage.discard(settings, conv.organization_id, stored.id)
        raise
    if not message.attachments:
        # The reply is stored first, then gets its file; the update event brings the file to every client.
        message.attachments = [stored.as_attachment(conv.organization_id)]
        message.content_type = kind
        await session.flush()
        publish_update(session, message)
    else:
        storage.discard(settings, conv.organization_id, stored.id)  # a retried client_id: the first file stays
    schema = to_schema(message)
    schema.attachments = storage.signed_attachments(
        settings, schema.attachments, session.info["runtime"].clock.now().timestamp()
    )
    return schema


@router.post(
    "/conversations/{conversation_id}/attachments",
    response_model=Message,
    status_code=201,
    summary="Send a file (text, CSV, PDF or image) into the conversation",
)
async def send_conversation_attachment(
    conversation_id: uuid.UUID,
    session: Session,
    subject: Subject,
    file: Annotated[UploadFile, File(description="PNG, JPEG, GIF, WebP, PDF, TXT or CSV.")],
    content: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    private: Annotated[bool, Form()] = False,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
) -> Message:
    return await send_file(
        session,
        require(subject, "conversations.reply"),
        subject,
        conversation_id,
        upload=file,
        caption=content,
        private=private,
        client_id=client_id,
    )
