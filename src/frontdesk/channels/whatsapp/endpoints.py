"""The WhatsApp webhook (one route for the installation) and the WhatsApp settings of an inbox."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from frontdesk.auth.dependencies import RuntimeDep, Session, Subject
from frontdesk.authz.service import require
from frontdesk.channels.whatsapp import intake, manage, schemas
from frontdesk.channels.whatsapp.signature import HEADER
from frontdesk.messages.schemas import Message
from frontdesk.messages.service import to_schema

# Flat routes with full paths (no included sub-routers): the app's prefix index files each route by
# its literal path, which an included router, having no path of its own, would defeat.
router = APIRouter(tags=["whatsapp"])
HOOK = manage.WEBHOOK_PATH
INBOX = "/api/v1/inboxes/{inbox_id}/whatsapp"
CONVERSATION = "/api/v1/conversations/{conversation_id}/whatsapp"


@router.get(HOOK, response_class=PlainTextResponse, summary="Meta's verification handshake")
async def verify_whatsapp_webhook(
    runtime: RuntimeDep,
    mode: Annotated[str, Query(alias="hub.mode", max_length=40)] = "",
    token: Annotated[str, Query(alias="hub.verify_token", max_length=200)] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=200)] = "",
) -> PlainTextResponse:
    return PlainTextResponse(await intake.handshake(runtime, mode, token, challenge))


class Accepted(BaseModel):
    stored: int
    duplicates: int
    ignored: int


@router.post(HOOK, response_model=Accepted, summary="Meta's event notifications (signed)")
async def receive_whatsapp_webhook(request: Request, runtime: RuntimeDep) -> Accepted:
    body = await request.body()
    return Accepted(**await intake.receive(runtime, body, request.headers.get(HEADER)))


@router.get(INBOX, response_model=schemas.WhatsAppSettings, summary="An inbox's WhatsApp connection (no secrets)")
async def get_whatsapp_settings(inbox_id: uuid.UUID, session: Session, subject: Subject) -> schemas.WhatsAppSettings:
    inbox = await manage.whatsapp_inbox(session, require(subject, "inboxes.read"), inbox_id)
    return manage.to_schema(session.info["runtime"], inbox)


@router.patch(INBOX, response_model=schemas.WhatsAppSettings, summary="Connect or change an inbox's WhatsApp number")
async def update_whatsapp_settings(
    inbox_id: uuid.UUID, data: schemas.WhatsAppSettingsUpdate, session: Session, subject: Subject
) -> schemas.WhatsAppSettings:
    inbox = await manage.update_settings(session, require(subject, "inboxes.manage"), subject, inbox_id, data)
    return manage.to_schema(session.info["runtime"], inbox)


@router.post(
    INBOX + "/check", response_model=schemas.CredentialCheck, summary="Check the credentials with the Graph API"
)
async def check_whatsapp_credentials(
    inbox_id: uuid.UUID, session: Session, subject: Subject
) -> schemas.CredentialCheck:
    return await manage.check_credentials(session, require(subject, "inboxes.manage"), inbox_id)


@router.get(INBOX + "/templates", response_model=list[schemas.Template], summary="The approved and pending templates")
async def list_whatsapp_templates(inbox_id: uuid.UUID, session: Session, subject: Subject) -> list[schemas.Template]:
    rows = await manage.list_templates(session, require(subject, "conversations.read"), inbox_id)
    return [manage.template_schema(t) for t in rows]


@router.post(INBOX + "/templates/sync", response_model=list[schemas.Template], summary="Fetch the templates from Meta")
async def sync_whatsapp_templates(inbox_id: uuid.UUID, session: Session, subject: Subject) -> list[schemas.Template]:
    rows = await manage.sync_templates(session, require(subject, "inboxes.manage"), inbox_id)
    return [manage.template_schema(t) for t in rows]


@router.post(
    CONVERSATION + "/template",
    response_model=Message,
    status_code=status.HTTP_201_CREATED,
    summary="Send an approved template",
)
async def send_whatsapp_template(
    conversation_id: uuid.UUID, data: schemas.TemplateSend, session: Session, subject: Subject
) -> Message:
    message = await manage.send_template(
        session, require(subject, "conversations.reply"), subject, conversation_id, data
    )
    return to_schema(message)


@router.get(
    CONVERSATION + "/window", response_model=schemas.WindowStatus, summary="Whether free-form replies are allowed"
)
async def get_whatsapp_window(conversation_id: uuid.UUID, session: Session, subject: Subject) -> schemas.WindowStatus:
    return await manage.window(session, require(subject, "conversations.read"), conversation_id)


class Signal(BaseModel):
    typing: bool = False


@router.post(CONVERSATION + "/read", status_code=status.HTTP_204_NO_CONTENT, summary="Blue ticks, and typing if asked")
async def mark_whatsapp_read(conversation_id: uuid.UUID, data: Signal, session: Session, subject: Subject) -> None:
    await manage.signal(session, require(subject, "conversations.reply"), conversation_id, typing=data.typing)
