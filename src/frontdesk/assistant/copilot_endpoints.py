"""Copilot drafts and the agent's writing aids (suggest, summary, improve)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from frontdesk.assistant import copilot as service
from frontdesk.assistant import copilot_schemas as schemas
from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.kit.pagination import Page, PageParams
from frontdesk.messages.schemas import Message
from frontdesk.messages.service import to_schema

router = APIRouter(prefix="/api/v1", tags=["copilot"])

DRAFTS = "/conversations/{conversation_id}/drafts"
Statuses = Annotated[list[schemas.DraftStatus] | None, Query(alias="status", description="Repeat for several.")]


class SentDraft(BaseModel):
    draft: schemas.Draft
    message: Message


@router.get(DRAFTS, response_model=list[schemas.Draft], summary="The conversation's drafts, newest first")
async def list_drafts(
    conversation_id: uuid.UUID, session: Session, subject: Subject, status: Statuses = None
) -> list[schemas.Draft]:
    return await service.list_drafts(
        session, require(subject, "conversations.read"), conversation_id, statuses=list(status or [])
    )


@router.post(DRAFTS, response_model=schemas.Draft, status_code=201, summary="Ask the assistant for a draft now")
async def create_draft(conversation_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Draft:
    draft = await service.request_draft(session, require(subject, "conversations.reply"), subject, conversation_id)
    return service.to_draft(draft)


@router.get(DRAFTS + "/{draft_id}", response_model=schemas.Draft, summary="One draft")
async def read_draft(
    conversation_id: uuid.UUID, draft_id: uuid.UUID, session: Session, subject: Subject
) -> schemas.Draft:
    return await service.get_draft(session, require(subject, "conversations.read"), conversation_id, draft_id)


@router.patch(DRAFTS + "/{draft_id}", response_model=schemas.Draft, summary="Edit a pending draft")
async def edit_draft(
    conversation_id: uuid.UUID, draft_id: uuid.UUID, data: schemas.DraftEdit, session: Session, subject: Subject
) -> schemas.Draft:
    return await service.edit_draft(
        session, require(subject, "conversations.reply"), conversation_id, draft_id, content=data.content
    )


@router.post(DRAFTS + "/{draft_id}/approve", response_model=SentDraft, summary="Send the draft as your reply")
async def approve_draft(
    conversation_id: uuid.UUID, draft_id: uuid.UUID, data: schemas.DraftApprove, session: Session, subject: Subject
) -> SentDraft:
    draft, message = await service.approve_draft(
        session,
        require(subject, "conversations.reply"),
        subject,
        conversation_id,
        draft_id,
        content=data.content,
        client_id=data.client_id,
    )
    return SentDraft(draft=draft, message=to_schema(message))


@router.post(DRAFTS + "/{draft_id}/reject", response_model=schemas.Draft, summary="Reject the draft")
async def reject_draft(
    conversation_id: uuid.UUID, draft_id: uuid.UUID, data: schemas.DraftReject, session: Session, subject: Subject
) -> schemas.Draft:
    return await service.reject_draft(
        session, require(subject, "conversations.reply"), subject, conversation_id, draft_id, reason=data.reason
    )


class RevisedDraft(BaseModel):
    draft: schemas.Draft
    notes: list[str]


@router.post(DRAFTS + "/{draft_id}/revise", response_model=RevisedDraft, summary="Revise the draft with AI")
async def revise_draft(
    conversation_id: uuid.UUID, draft_id: uuid.UUID, data: schemas.DraftRevise, session: Session, subject: Subject
) -> RevisedDraft:
    draft, notes = await service.revise_draft(
        session,
        require(subject, "conversations.reply"),
        subject,
        conversation_id,
        draft_id,
        instruction=data.instruction,
    )
    return RevisedDraft(draft=draft, notes=notes)


@router.post(
    "/conversations/{conversation_id}/assist/suggest", response_model=schemas.Assist, summary="Suggest a reply"
)
async def suggest_reply(conversation_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Assist:
    return await service.suggest(session, require(subject, "conversations.reply"), conversation_id)


@router.post(
    "/conversations/{conversation_id}/assist/summary",
    response_model=schemas.Assist,
    summary="Summarise the conversation",
)
async def summarize_conversation(conversation_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Assist:
    return await service.summary(session, require(subject, "conversations.read"), conversation_id)


@router.post(
    "/conversations/{conversation_id}/assist/improve",
    response_model=schemas.Assist,
    summary="Improve your own text",
)
async def improve_text(
    conversation_id: uuid.UUID, data: schemas.ImproveRequest, session: Session, subject: Subject
) -> schemas.Assist:
    return await service.improve(
        session,
        require(subject, "conversations.reply"),
        conversation_id,
        text=data.text,
        instruction=data.instruction,
    )


@router.get("/copilot/drafts", response_model=Page[schemas.Draft], summary="Drafts and their fates, for review")
async def review_drafts(
    session: Session,
    subject: Subject,
    paging: Annotated[PageParams, Depends()],
    status: Statuses = None,
    edited: bool | None = None,
) -> Page[schemas.Draft]:
    return await service.review(
        session, require(subject, "conversations.read"), statuses=list(status or []), edited=edited, paging=paging
    )


@router.get("/copilot/stats", response_model=schemas.DraftReviewStats, summary="How drafts fared, in counts")
async def draft_stats(session: Session, subject: Subject) -> schemas.DraftReviewStats:
    return await service.review_stats(session, require(subject, "conversations.read"))
