"""Conversation logs: transcripts (text, JSON, HTML) and retention with audited purges."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from frontdesk.auth.dependencies import RuntimeDep, Session, Subject
from frontdesk.authz.service import require
from frontdesk.conversations import retention, transcripts
from frontdesk.kit.pagination import Page, PageParams, page_of

router = APIRouter(prefix="/api/v1", tags=["conversations"])


class RetentionPolicy(BaseModel):
    retention_days: int | None = Field(
        None, ge=1, le=retention.MAX_DAYS, description="Conversations inactive longer than this may be purged."
    )


class Purge(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: str
    cutoff: datetime
    total: int
    deleted: int
    progress: float = 0.0
    error: str | None
    started_by: uuid.UUID | None
    created_at: datetime
    finished_at: datetime | None


def _purge(row: object) -> Purge:
    item = Purge.model_validate(row)
    item.progress = 1.0 if item.status == "done" else (min(item.deleted / item.total, 1.0) if item.total else 0.0)
    return item


@router.get(
    "/conversations/{conversation_id}/transcript",
    response_class=StreamingResponse,
    summary="The conversation as a text, JSON or HTML transcript (streamed)",
    responses={200: {"content": {"text/plain": {}, "application/json": {}, "text/html": {}}}},
)
async def export_transcript(
    conversation_id: uuid.UUID,
    session: Session,
    subject: Subject,
    runtime: RuntimeDep,
    fmt: Annotated[transcripts.Format, Query(alias="format")] = "txt",
    notes: Annotated[bool, Query(description="Include private notes (marked as such).")] = False,
    download: Annotated[bool, Query(description="Ask the browser to save the file.")] = True,
) -> StreamingResponse:
    head = await transcripts.header(session, require(subject, "conversations.read"), conversation_id)
    name = transcripts.filename(head, fmt)
    disposition = "attachment" if download else "inline"
    return StreamingResponse(
        transcripts.render(runtime, head, fmt, include_private=notes),
        media_type=transcripts.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'{disposition}; filename="{name}"', "X-Content-Type-Options": "nosniff"},
    )


@router.get("/conversation-retention", response_model=RetentionPolicy, summary="How long conversations are kept")
async def read_conversation_retention(session: Session, subject: Subject) -> RetentionPolicy:
    days = await retention.retention_days(session, require(subject, "conversations.read"))
    return RetentionPolicy(retention_days=days)


@router.put("/conversation-retention", response_model=RetentionPolicy, summary="Set or clear the retention period")
async def update_conversation_retention(data: RetentionPolicy, session: Session, subject: Subject) -> RetentionPolicy:
    days = await retention.set_retention(session, require(subject, "org.update"), subject, data.retention_days)
    return RetentionPolicy(retention_days=days)


@router.post(
    "/conversation-purges",
    response_model=Purge,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Purge conversations older than the retention period (audited; poll for progress)",
)
async def create_conversation_purge(session: Session, subject: Subject) -> Purge:
    return _purge(await retention.start_purge(session, require(subject, "org.update"), subject))


@router.get("/conversation-purges", response_model=Page[Purge], summary="Purges, newest first")
async def list_conversation_purges(
    session: Session, subject: Subject, paging: Annotated[PageParams, Depends()]
) -> Page[Purge]:
    rows, total = await retention.list_purges(session, require(subject, "org.update"), paging)
    return page_of([_purge(r) for r in rows], total, paging)


@router.get("/conversation-purges/{purge_id}", response_model=Purge, summary="One purge, with its progress")
async def read_conversation_purge(purge_id: uuid.UUID, session: Session, subject: Subject) -> Purge:
    return _purge(await retention.get_purge(session, require(subject, "org.update"), purge_id))
