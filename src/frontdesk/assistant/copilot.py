"""Copilot: the assistant drafts, people decide.

In copilot mode (the inbox's ``copilot`` setting, or a conversation's ``mode``) the assistant's turn
writes a :class:`CopilotDraft` instead of a message (:func:`draft_for`, called by the assistant's reply
job). An agent edits it, approves it (it is sent as the agent's own reply through
``conversations.service.reply``), rejects it, or asks the assistant to revise it with an instruction.
Every draft keeps its fate: sent as written, sent edited, rejected (with a reason) or superseded by a
newer customer message. That record is the quality review.

Drafts are written as a dry run: no conversation or contact is handed to the runner, so a tool the
model calls (escalate, resolve, capture a lead) is recorded on the draft and changes nothing until a
person acts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import copilot_bridge as bridge
from frontdesk.assistant import copilot_repository as repository
from frontdesk.assistant import copilot_writer as writer
from frontdesk.assistant.copilot_models import CopilotDraft
from frontdesk.assistant.copilot_schemas import Assist, Draft, DraftReviewStats
from frontdesk.authz.service import OrgScope, require
from frontdesk.authz.subject import AuthSubject
from frontdesk.conversations import service as conversations
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.errors import Conflict, NotFound, ValidationFailed
from frontdesk.kit.events import org_topic, publish_on_commit
from frontdesk.kit.pagination import Page, PageParams, page_of, paginate
from frontdesk.messages.models import Message
from frontdesk.messages.schemas import AgentMessageCreate

if TYPE_CHECKING:
    from frontdesk.kit.runtime import Runtime


def _now(session: AsyncSession) -> datetime:
    return bridge.runtime_of(session).clock.now()


def to_draft(row: CopilotDraft) -> Draft:
    return Draft.model_validate(row, from_attributes=True)


def _publish(session: AsyncSession, draft: CopilotDraft) -> None:
    publish_on_commit(
        session,
        org_topic(draft.organization_id),
        {
            "type": "copilot.draft",
            "conversation_id": str(draft.conversation_id),
            "draft": to_draft(draft).model_dump(mode="json"),
        },
    )


async def _latest_customer_message(session: AsyncSession, conv: Conversation) -> Message | None:
    return await session.scalar(
        select(Message)
        .where(Message.conversation_id == conv.id, Message.sender_type == "contact", Message.deleted_at.is_(None))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )


async def _write_draft(
    session: AsyncSession, conv: Conversation, message: Message | None, *, reuse_message: bool
) -> CopilotDraft:
    # Read before the dry run: rolling it back expires whatever the tools touched.
    org_id, conv_id = conv.organization_id, conv.id
    answered = message.id if message is not None else None
    assistant = await bridge.assistant_for(session, conv)
    assistant_id = assistant.id
    turns = await bridge.history(session, conv, upto=message)
    result = await bridge.answer(session, assistant, turns, conversation=conv)
    meta = bridge.answer_meta(result)
    if answered is not None:
        meta["answers_message_id"] = str(answered)
    draft = CopilotDraft(
        organization_id=org_id,
        conversation_id=conv_id,
        message_id=answered if reuse_message else None,
        assistant_id=assistant_id,
        status="pending",
        original=result.text,
        content=result.text,
        revisions=[],
        ai=meta,
        edited=False,
        reject_reason="",
        created_at=_now(session),
    )
    try:
        async with session.begin_nested():
            session.add(draft)
    except IntegrityError:
        # The drafting job and an agent's request raced for the same message: keep the first draft.
        existing = await repository.for_message(session, conv_id, answered)
        if existing is None:
            raise
        return existing
    await repository.supersede_pending(session, conv_id, keep=draft.id)
    _publish(session, draft)
    return draft


async def draft_for(
    session: AsyncSession, runtime: Runtime, conversation_id: uuid.UUID, message_id: uuid.UUID
) -> CopilotDraft | None:
    """The assistant's turn in copilot mode: a draft for this customer message, written once.

    Idempotent: a retried job finds the draft it wrote. Nothing is drafted when the conversation has
    left copilot mode or the message is gone.
    """
    conv = await session.get(Conversation, conversation_id)
    message = await session.get(Message, message_id)
    if conv is None or message is None or message.conversation_id != conv.id or message.deleted_at is not None:
        return None
    existing = await repository.for_message(session, conv.id, message.id)
    if existing is not None:
        return existing
    if conv.mode != "copilot":
        return None
    await _queue_for_people(session, conv)
    return await _write_draft(session, conv, message, reuse_message=True)


async def _queue_for_people(session: AsyncSession, conv: Conversation) -> None:
    """In copilot mode a person sends every reply: the conversation belongs in their queue, not the bot's."""
    if conv.status != "bot":
        return
    # Private, as replies.py uses it: the conversations domain has no public system-side status change yet.
    await conversations._set_status(session, conv, "pending")
    inbox = await session.get(Inbox, conv.inbox_id)
    if inbox is not None and inbox.auto_assign and conv.assignee_id is None:
        await conversations.auto_assign(session, conv, inbox)


async def request_draft(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, conversation_id: uuid.UUID
) -> CopilotDraft:
    """An agent asks for a draft now, for the latest customer message (in any mode)."""
    conv = await conversations.get_conversation(session, scope, conversation_id)
    message = await _latest_customer_message(session, conv)
    if message is None:
        raise ValidationFailed("The customer has not written anything to answer yet.", code="nothing_to_answer")
    existing = await repository.for_message(session, conv.id, message.id)
    if existing is not None and existing.status == "pending":
        return existing
    return await _write_draft(session, conv, message, reuse_message=existing is None)


async def list_drafts(
    session: AsyncSession, scope: OrgScope, conversation_id: uuid.UUID, *, statuses: list[str]
) -> list[Draft]:
    conv = await conversations.get_conversation(session, scope, conversation_id)
    rows = await repository.of_conversation(session, scope.organization_id, conv.id, statuses)
    return [to_draft(r) for r in rows]


async def _pending(
    session: AsyncSession, scope: OrgScope, conversation_id: uuid.UUID, draft_id: uuid.UUID
) -> CopilotDraft:
    conv = await conversations.get_conversation(session, scope, conversation_id)
    draft = await repository.get(session, scope.organization_id, draft_id)
    if draft is None or draft.conversation_id != conv.id:
        raise NotFound("There is no such draft in this conversation.", code="draft_not_found")
    await session.refresh(draft, with_for_update=True)
    if draft.status != "pending":
        raise Conflict(
            f"This draft was already {draft.status}.", code="draft_not_pending", details={"status": draft.status}
        )
    return draft


def _ai_version(draft: CopilotDraft) -> str:
    return str(draft.revisions[-1]["content"]) if draft.revisions else draft.original


async def get_draft(session: AsyncSession, scope: OrgScope, conversation_id: uuid.UUID, draft_id: uuid.UUID) -> Draft:
    conv = await conversations.get_conversation(session, scope, conversation_id)
    draft = await repository.get(session, scope.organization_id, draft_id)
    if draft is None or draft.conversation_id != conv.id:
        raise NotFound("There is no such draft in this conversation.", code="draft_not_found")
    return to_draft(draft)


async def edit_draft(
    session: AsyncSession, scope: OrgScope, conversation_id: uuid.UUID, draft_id: uuid.UUID, *, content: str
) -> Draft:
    draft = await _pending(session, scope, conversation_id, draft_id)
    draft.content = content
    draft.edited = content.strip() != _ai_version(draft).strip()
    draft.updated_at = _now(session)
    _publish(session, draft)
    return to_draft(draft)


async def approve_draft(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    conversation_id: uuid.UUID,
    draft_id: uuid.UUID,
    *,
    content: str | None,
    client_id: str | None,
) -> tuple[Draft, Message]:
    """Send the draft as the agent's reply; it keeps whether the agent changed it."""
    draft = await _pending(session, scope, conversation_id, draft_id)
    text = (content if content is not None else draft.content).strip()
    if not text:
        raise ValidationFailed("The draft is empty: write the reply first.", code="empty_draft")
    reply_scope = require(subject, "conversations.reply")
    message, _ = await conversations.reply(
        session,
        reply_scope,
        subject,
        conversation_id,
        AgentMessageCreate(content=text, client_id=client_id or f"draft-{draft.id.hex}"),
    )
    now = _now(session)
    draft.content = text
    draft.edited = text != _ai_version(draft).strip()
    draft.status = "sent"
    draft.sent_message_id = message.id
    draft.decided_by = subject.user_id
    draft.decided_at = draft.updated_at = now
    _publish(session, draft)
    return to_draft(draft), message


async def reject_draft(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    conversation_id: uuid.UUID,
    draft_id: uuid.UUID,
    *,
    reason: str,
) -> Draft:
    draft = await _pending(session, scope, conversation_id, draft_id)
    draft.status = "rejected"
    draft.reject_reason = reason.strip()
    draft.decided_by = subject.user_id
    draft.decided_at = draft.updated_at = _now(session)
    _publish(session, draft)
    return to_draft(draft)


async def revise_draft(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    conversation_id: uuid.UUID,
    draft_id: uuid.UUID,
    *,
    instruction: str,
) -> tuple[Draft, list[str]]:
    """Rewrite the draft as the agent asks ("shorter", "more formal", "offer a discount")."""
    draft = await _pending(session, scope, conversation_id, draft_id)
    conv = await conversations.get_conversation(session, scope, conversation_id)
    assistant = await bridge.assistant_for(session, conv)
    notes: list[str] = []
    if bridge.is_offline(assistant):
        result = writer.rewrite(draft.content, instruction)
        text, notes = result.text, result.notes
    else:
        text = await bridge.llm_text(
            session,
            assistant,
            f"Rewrite the reply below following this instruction from the agent: {instruction.strip()}",
            draft.content,
        )
    now = _now(session)
    draft.revisions = [
        *draft.revisions,
        {"instruction": instruction.strip(), "content": text, "by": str(subject.user_id or ""), "at": now.isoformat()},
    ]
    draft.content = text
    draft.edited = False
    draft.updated_at = now
    _publish(session, draft)
    return to_draft(draft), notes


# ---------------------------------------------------------------- writing aids in normal mode


async def suggest(session: AsyncSession, scope: OrgScope, conversation_id: uuid.UUID) -> Assist:
    conv = await conversations.get_conversation(session, scope, conversation_id)
    assistant = await bridge.assistant_for(session, conv)
    result = await bridge.answer(session, assistant, await bridge.history(session, conv), conversation=conv)
    notes = []
    if result.escalate:
        notes.append(f"The assistant would hand this to a person ({result.reason or 'low confidence'}).")
    return Assist(kind="suggest", text=result.text, notes=notes, ai=bridge.answer_meta(result))


async def summary(session: AsyncSession, scope: OrgScope, conversation_id: uuid.UUID) -> Assist:
    conv = await conversations.get_conversation(session, scope, conversation_id)
    assistant = await bridge.assistant_for(session, conv)
    turns = await bridge.history(session, conv)
    pairs = [(t.role, t.text) for t in turns]
    if bridge.is_offline(assistant) or not pairs:
        text = writer.summarize(pairs)
    else:
        transcript = "\n".join(f"{role}: {text}" for role, text in pairs)
        text = await bridge.llm_text(
            session,
            assistant,
            "Summarise this conversation for a colleague taking it over: what the customer wants, what was "
            "answered, and what is still open, in at most five short lines.",
            transcript,
        )
    return Assist(kind="summary", text=text)


async def improve(
    session: AsyncSession, scope: OrgScope, conversation_id: uuid.UUID, *, text: str, instruction: str
) -> Assist:
    conv = await conversations.get_conversation(session, scope, conversation_id)
    assistant = await bridge.assistant_for(session, conv)
    if bridge.is_offline(assistant):
        result = writer.rewrite(text, instruction) if instruction.strip() else writer.improve(text)
        return Assist(kind="improve", text=result.text, notes=result.notes)
    task = "Improve the agent's reply below: correct spelling and grammar, keep the meaning and the tone."
    if instruction.strip():
        task += f" Also: {instruction.strip()}"
    return Assist(kind="improve", text=await bridge.llm_text(session, assistant, task, text))


# ---------------------------------------------------------------- quality review


async def review(
    session: AsyncSession, scope: OrgScope, *, statuses: list[str], edited: bool | None, paging: PageParams
) -> Page[Draft]:
    rows, total = await paginate(session, repository.review_query(scope.organization_id, statuses, edited), paging)
    return page_of([to_draft(r) for r in rows], total, paging)


async def review_stats(session: AsyncSession, scope: OrgScope) -> DraftReviewStats:
    counts = await repository.stats(session, scope.organization_id)

    def n(status: str, edited: bool | None = None) -> int:
        return sum(v for (s, e), v in counts.items() if s == status and (edited is None or e == edited))

    return DraftReviewStats(
        total=sum(counts.values()),
        pending=n("pending"),
        sent=n("sent"),
        sent_unchanged=n("sent", False),
        sent_edited=n("sent", True),
        rejected=n("rejected"),
        superseded=n("superseded"),
    )
