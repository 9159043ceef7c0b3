"""The agent-side conversations API: the inbox, replies and notes, handoff, canned responses and CSAT."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require, require_user
from frontdesk.conversations import canned, csat, schemas, service
from frontdesk.kit.pagination import CursorPage, Page, PageParams
from frontdesk.messages.schemas import AgentMessageCreate, Message
from frontdesk.messages.service import to_schema

router = APIRouter(prefix="/api/v1", tags=["conversations"])

Paging = Annotated[PageParams, Depends()]


@router.get(
    "/conversations",
    response_model=Page[schemas.ConversationItem],
    summary="The inbox: conversations, most recently active first",
)
async def list_conversations(
    session: Session,
    subject: Subject,
    paging: Paging,
    assignee: Annotated[str, Query(max_length=40, description="`me`, `unassigned`, `all`, or a user id.")] = "all",
    status_filter: Annotated[
        list[schemas.Status] | None, Query(alias="status", description="Repeat for several statuses.")
    ] = None,
    inbox_id: uuid.UUID | None = None,
    label: Annotated[str | None, Query(max_length=50)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of the contact's name or email.")] = None,
) -> Page[schemas.ConversationItem]:
    return await service.list_conversations(
        session,
        require(subject, "conversations.read"),
        subject,
        assignee=assignee.strip().lower(),
        statuses=list(status_filter or []),
        inbox_id=inbox_id,
        label=label,
        q=q,
        paging=paging,
    )


@router.get(
    "/conversations/counts",
    response_model=schemas.ConversationCounts,
    summary="How many conversations are mine, unassigned and in all, per status",
)
async def count_conversations(
    session: Session, subject: Subject, inbox_id: uuid.UUID | None = None
) -> schemas.ConversationCounts:
    return await service.conversation_counts(
        session, require(subject, "conversations.read"), subject, inbox_id=inbox_id
    )


@router.get(
    "/conversations/{conversation_id}",
    response_model=schemas.ConversationDetail,
    summary="One conversation, with its contact and inbox",
)
async def read_conversation(
    conversation_id: uuid.UUID, session: Session, subject: Subject
) -> schemas.ConversationDetail:
    return await service.conversation_detail(session, require(subject, "conversations.read"), subject, conversation_id)


@router.patch(
    "/conversations/{conversation_id}",
    response_model=schemas.ConversationDetail,
    summary="Assign, transfer, label, prioritise, snooze, resolve or reopen",
)
async def update_conversation(
    conversation_id: uuid.UUID, data: schemas.ConversationUpdate, session: Session, subject: Subject
) -> schemas.ConversationDetail:
    scope = require(subject, "conversations.manage")
    sent = data.model_fields_set
    await service.update_conversation(
        session,
        scope,
        subject,
        conversation_id,
        status=data.status,
        snoozed_until=data.snoozed_until,
        assignee_id=data.assignee_id,
        unassign=data.unassign or ("assignee_id" in sent and data.assignee_id is None),
        team_id=data.team_id,
        clear_team="team_id" in sent and data.team_id is None,
        labels=data.labels,
        priority=data.priority,
        mode=data.mode,
        instructions=data.instructions,
    )
    return await service.conversation_detail(session, scope, subject, conversation_id)


@router.get(
    "/conversations/{conversation_id}/messages",
    response_model=CursorPage[Message],
    summary="The timeline, oldest first, private notes included",
)
async def list_conversation_messages(
    conversation_id: uuid.UUID,
    session: Session,
    subject: Subject,
    after: Annotated[
        str | None, Query(max_length=200, description="A cursor from an earlier page or event: only what came later.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    latest: Annotated[
        bool, Query(description="Without `after`: the newest `limit` messages (still oldest first).")
    ] = False,
) -> CursorPage[Message]:
    return await service.timeline(
        session, require(subject, "conversations.read"), conversation_id, after=after, limit=limit, latest=latest
    )


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=Message,
    status_code=status.HTTP_201_CREATED,
    summary="Reply to the customer, or write a private note",
    responses={200: {"description": "A retry of a `client_id` already stored: the stored message."}},
)
async def create_conversation_message(
    conversation_id: uuid.UUID, data: AgentMessageCreate, response: Response, session: Session, subject: Subject
) -> Message:
    message, created = await service.reply(
        session, require(subject, "conversations.reply"), subject, conversation_id, data
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return to_schema(message)


async def _detail(session: Session, subject: Subject, conversation_id: uuid.UUID) -> schemas.ConversationDetail:
    return await service.conversation_detail(session, require(subject, "conversations.read"), subject, conversation_id)


@router.post(
    "/conversations/{conversation_id}/take-over",
    response_model=schemas.ConversationDetail,
    summary="Take the conversation from the assistant (or a colleague) and answer it yourself",
)
async def take_over_conversation(
    conversation_id: uuid.UUID, session: Session, subject: Subject
) -> schemas.ConversationDetail:
    scope = require(subject, "conversations.reply")
    require_user(subject)
    await service.take_over(session, scope, subject, conversation_id)
    return await _detail(session, subject, conversation_id)


@router.post(
    "/conversations/{conversation_id}/hand-back",
    response_model=schemas.ConversationDetail,
    summary="Give the conversation back to the assistant",
)
async def hand_back_conversation(
    conversation_id: uuid.UUID, session: Session, subject: Subject
) -> schemas.ConversationDetail:
    await service.hand_back(session, require(subject, "conversations.manage"), subject, conversation_id)
    return await _detail(session, subject, conversation_id)


@router.post(
    "/conversations/{conversation_id}/escalate",
    response_model=schemas.ConversationDetail,
    summary="Ask for people: the conversation goes to the queue (and to an agent, if auto-assignment is on)",
)
async def escalate_conversation(
    conversation_id: uuid.UUID, data: schemas.EscalateRequest, session: Session, subject: Subject
) -> schemas.ConversationDetail:
    await service.escalate_conversation(
        session, require(subject, "conversations.manage"), subject, conversation_id, reason=data.reason
    )
    return await _detail(session, subject, conversation_id)


@router.post(
    "/conversations/{conversation_id}/read",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Mark the conversation read up to now (for your unread counts)",
)
async def mark_conversation_read(conversation_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    scope = require(subject, "conversations.read")
    require_user(subject)
    await service.mark_read(session, scope, subject, conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- canned responses


@router.get(
    "/canned-responses",
    response_model=list[schemas.CannedResponse],
    summary="Saved replies, by shortcut; `prefix` for the reply box's autocomplete",
)
async def list_canned_responses(
    session: Session,
    subject: Subject,
    prefix: Annotated[
        str | None, Query(max_length=61, description="The start of a shortcut, with or without /.")
    ] = None,
) -> list[schemas.CannedResponse]:
    rows = await canned.list_canned(session, require(subject, "conversations.read"), prefix=prefix)
    return [schemas.CannedResponse.model_validate(r) for r in rows]


@router.post(
    "/canned-responses",
    response_model=schemas.CannedResponse,
    status_code=status.HTTP_201_CREATED,
    summary="Save a reply under a shortcut",
)
async def create_canned_response(
    data: schemas.CannedResponseCreate, session: Session, subject: Subject
) -> schemas.CannedResponse:
    row = await canned.create_canned(session, require(subject, "conversations.manage"), subject, data)
    return schemas.CannedResponse.model_validate(row)


@router.patch(
    "/canned-responses/{canned_response_id}", response_model=schemas.CannedResponse, summary="Change a saved reply"
)
async def update_canned_response(
    canned_response_id: uuid.UUID, data: schemas.CannedResponseUpdate, session: Session, subject: Subject
) -> schemas.CannedResponse:
    row = await canned.update_canned(
        session, require(subject, "conversations.manage"), subject, canned_response_id, data
    )
    return schemas.CannedResponse.model_validate(row)


@router.delete(
    "/canned-responses/{canned_response_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a saved reply"
)
async def delete_canned_response(canned_response_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await canned.delete_canned(session, require(subject, "conversations.manage"), subject, canned_response_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- satisfaction


@router.get(
    "/csat",
    response_model=schemas.CsatReport,
    summary="Customer satisfaction ratings, newest first, with their average and distribution",
)
async def list_csat_ratings(
    session: Session,
    subject: Subject,
    paging: Paging,
    agent_id: uuid.UUID | None = None,
    since: Annotated[
        datetime | None, Query(description="Only ratings given at or after this time (UTC if no zone).")
    ] = None,
) -> schemas.CsatReport:
    return await csat.csat_report(
        session, require(subject, "analytics.read"), agent_id=agent_id, since=since, paging=paging
    )
