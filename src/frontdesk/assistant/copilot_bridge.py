"""How copilot, the playground and files reach the assistant core: one place that knows the runner.

Everything here goes through ``runner.run_assistant`` (the same agent, tools and providers as the
customer-facing assistant), so a draft is exactly what the assistant would have sent.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, is_dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import files
from frontdesk.conversations.models import Conversation
from frontdesk.kit.errors import NotFound
from frontdesk.messages.models import Message

if TYPE_CHECKING:
    from frontdesk.assistant.models import Assistant
    from frontdesk.assistant.runner import Answer, Turn
    from frontdesk.kit.runtime import Runtime

# How many recent messages make the history of a draft; the core summarises what is older.
HISTORY_LIMIT = 40


def runtime_of(session: AsyncSession) -> Runtime:
    return session.info["runtime"]  # type: ignore[no-any-return,unused-ignore]


def is_offline(assistant: Assistant) -> bool:
    return (assistant.provider or "local") == "local"


def default_assistant(organization_id: uuid.UUID) -> Assistant:
    """An unsaved local assistant, for an organization that has not configured one yet."""
    from frontdesk.assistant.models import Assistant

    return Assistant(
        organization_id=organization_id,
        name="Default assistant",
        instructions="",
        provider="local",
        model_name="local",
        temperature=0.2,
        language="en",
        confidence_threshold=0.5,
        tools=[],
        collection_ids=[],
        inbox_ids=[],
        routing_keywords=[],
        is_router=False,
        escalation_keywords=[],
        max_bot_turns=8,
        max_frustration=2,
        enabled=True,
    )


async def get_assistant(session: AsyncSession, organization_id: uuid.UUID, assistant_id: uuid.UUID) -> Assistant:
    from frontdesk.assistant.models import Assistant

    row = await session.scalar(
        select(Assistant).where(Assistant.id == assistant_id, Assistant.organization_id == organization_id)
    )
    if row is None:
        raise NotFound("There is no such assistant.", code="assistant_not_found")
    return row


async def list_assistants(session: AsyncSession, organization_id: uuid.UUID) -> list[Assistant]:
    from frontdesk.assistant.models import Assistant

    rows = await session.scalars(
        select(Assistant).where(Assistant.organization_id == organization_id).order_by(Assistant.name)
    )
    return list(rows)


async def assistant_for(session: AsyncSession, conv: Conversation) -> Assistant:
    """The assistant holding the conversation, else the one serving its inbox, else any, else a default."""
    from frontdesk.assistant.models import Assistant, ConversationState

    state = await session.scalar(select(ConversationState).where(ConversationState.conversation_id == conv.id))
    if state is not None and state.assistant_id is not None:
        held = await session.get(Assistant, state.assistant_id)
        if held is not None and held.organization_id == conv.organization_id:
            return held
    candidates = [a for a in await list_assistants(session, conv.organization_id) if a.enabled and not a.is_router]
    for a in candidates:
        if str(conv.inbox_id) in (a.inbox_ids or []):
            return a
    return candidates[0] if candidates else default_assistant(conv.organization_id)


def _role(message: Message) -> str:
    if message.sender_type == "contact":
        return "customer"
    if message.sender_type == "agent":
        return "agent"
    if message.sender_type == "system":
        return "system"
    return "assistant"


async def history(session: AsyncSession, conv: Conversation, *, upto: Message | None = None) -> list[Turn]:
    """The public timeline as turns, oldest first, files read into the text."""
    from frontdesk.assistant.runner import Turn

    query = select(Message).where(
        Message.conversation_id == conv.id, Message.private.is_(False), Message.deleted_at.is_(None)
    )
    if upto is not None:
        query = query.where(Message.created_at <= upto.created_at)
    rows = list(
        await session.scalars(query.order_by(Message.created_at.desc(), Message.id.desc()).limit(HISTORY_LIMIT))
    )
    rows.reverse()
    settings = runtime_of(session).settings
    turns = []
    for m in rows:
        text = files.turn_text(settings, conv.organization_id, m.content, m.attachments or [])
        if text:
            turns.append(Turn(role=_role(m), text=text))  # type: ignore[arg-type,unused-ignore]
    return turns


def turns_of(pairs: Sequence[tuple[str, str]]) -> list[Turn]:
    from frontdesk.assistant.runner import Turn

    return [Turn(role=role, text=text) for role, text in pairs]  # type: ignore[arg-type,unused-ignore]


@asynccontextmanager
async def dry_run(session: AsyncSession) -> AsyncIterator[None]:
    """Let tools run for real, then undo everything they wrote (and the events they queued).

    Drafts, suggestions and the playground show what the assistant *would* do; nothing reaches a
    conversation, a contact, a booking or a subscriber until a person acts.
    """
    queued = {key: len(session.info.get(key) or []) for key in ("before_commit", "after_commit")}
    nested = await session.begin_nested()
    try:
        yield
    finally:
        await nested.rollback()
        for key, count in queued.items():
            if key in session.info:
                del session.info[key][count:]


async def answer(
    session: AsyncSession,
    assistant: Assistant,
    turns: list[Turn],
    *,
    extra_instructions: list[str] | None = None,
    conversation: Conversation | None = None,
) -> Answer:
    """One dry-run turn of the assistant; the conversation (if any) gives its instruction layers."""
    from frontdesk.assistant.runner import run_assistant
    from frontdesk.contacts.models import Contact

    contact = await session.get(Contact, conversation.contact_id) if conversation is not None else None
    offline = is_offline(assistant)
    found = files.answer_from_files([(t.role, t.text) for t in turns]) if offline else None
    if offline:
        turns = [replace(t, text=files.strip_documents(t.text)) for t in turns]
    async with dry_run(session):
        result = await run_assistant(
            session,
            runtime_of(session),
            assistant=assistant,
            history=turns,
            extra_instructions=list(extra_instructions or []),
            conversation=conversation,
            contact=contact,
        )
    return with_file_answer(assistant, found, result)


def with_file_answer(assistant: Assistant, found: files.FileAnswer | None, result: Answer) -> Answer:
    """The offline model answers from the knowledge base only; a question about a file the customer
    sent is answered from the file instead, when it names the file or the knowledge base had nothing
    confident to say."""
    if found is None:
        return result
    confident = not result.escalate and result.confidence >= assistant.confidence_threshold
    if confident and not found.about_file:
        return result
    return replace(
        result,
        text=found.text,
        intent="file_question",
        confidence=max(result.confidence, 0.7),
        escalate=False,
        reason=None,
        sources=[{"type": "file", "title": found.file_name, "snippet": found.passages[0]}],
    )


def answer_meta(result: Answer) -> dict[str, Any]:
    """What a draft or a playground turn shows about how the answer came about."""
    return {
        "intent": result.intent,
        "confidence": round(float(result.confidence), 4),
        "escalate": bool(result.escalate),
        "reason": result.reason,
        "sources": [_plain(s) for s in result.sources],
        "tool_calls": [_plain(t) for t in result.tool_calls],
        "model": result.model,
        "usage": _plain(result.usage),
    }


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


async def llm_text(session: AsyncSession, assistant: Assistant, task: str, material: str) -> str:
    """A writing task (rewrite, summarise, improve) for an assistant backed by a language model.

    The material goes in as the last turn, framed as data; the task is an instruction layer. No
    conversation or contact is passed, so no tool can change anything while it writes.
    """
    from frontdesk.assistant.runner import Turn

    result = await answer(
        session,
        assistant,
        [Turn(role="agent", text=material)],
        extra_instructions=[
            "You are helping a support agent, not answering a customer. " + task,
            "Reply with the requested text only, without any preamble or explanation.",
        ],
    )
    return result.text.strip()
