"""Editing and deleting single messages: your own replies and notes only, audited."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require, require_user
from frontdesk.messages import schemas, service

router = APIRouter(prefix="/api/v1/messages", tags=["conversations"])


@router.patch("/{message_id}", response_model=schemas.Message, summary="Correct one of your replies or notes")
async def edit_message(
    message_id: uuid.UUID, data: schemas.MessageEdit, session: Session, subject: Subject
) -> schemas.Message:
    scope = require(subject, "conversations.reply")
    require_user(subject)
    return service.to_schema(await service.edit_message(session, scope, subject, message_id, data.content))


@router.delete(
    "/{message_id}",
    response_model=schemas.Message,
    summary="Delete one of your replies or notes (it stays in the timeline as deleted)",
)
async def delete_message(message_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Message:
    scope = require(subject, "conversations.reply")
    require_user(subject)
    return service.to_schema(await service.delete_message(session, scope, subject, message_id))
