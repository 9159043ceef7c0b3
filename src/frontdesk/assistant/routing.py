"""Which assistant answers a conversation: the one holding it, else by inbox, keywords, or a router.

A router assistant answers nothing itself; it picks the organization's specialist whose keywords,
name and description best match the customer's words (the local index, so it works offline).
Every change of assistant on a conversation is a private system message on its timeline.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import repository
from frontdesk.assistant.local_index import LocalIndex, fold
from frontdesk.assistant.models import Assistant, ConversationState
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes.models import Inbox
from frontdesk.messages.service import add_message

ROUTER_MIN_SCORE = 0.05


def serves(assistant: Assistant, inbox_id: str) -> bool:
    return assistant.enabled and inbox_id in (assistant.inbox_ids or [])


def by_keywords(candidates: list[Assistant], text: str) -> Assistant | None:
    low = f" {fold(text)} "
    for assistant in candidates:
        for keyword in assistant.routing_keywords or []:
            if keyword.strip() and fold(keyword.strip()) in low:
                return assistant
    return None


def by_router(specialists: list[Assistant], text: str) -> Assistant | None:
    if not specialists:
        return None
    index = LocalIndex.build(
        (str(a.id), a.name, a.description, [a.description, *(a.routing_keywords or [])]) for a in specialists
    )
    matches = index.search(text, limit=1)
    if matches and matches[0].score >= ROUTER_MIN_SCORE:
        return next(a for a in specialists if str(a.id) == matches[0].article_id)
    return None


async def state_of(session: AsyncSession, conv: Conversation) -> ConversationState:
    state = await repository.state_for(session, conv.id)
    if state is None:
        now = session.info["runtime"].clock.now()
        state = ConversationState(
            organization_id=conv.organization_id, conversation_id=conv.id, created_at=now, extra={}
        )
        session.add(state)
        await session.flush()
    return state


async def pick(
    session: AsyncSession, inbox: Inbox, conv: Conversation, text: str, state: ConversationState | None
) -> tuple[Assistant | None, str]:
    """The assistant and how it was chosen: ``held``, ``keywords``, ``router`` or ``inbox``."""
    everyone = await repository.enabled_for_org(session, conv.organization_id)
    if state is not None and state.assistant_id is not None:
        held = next((a for a in everyone if a.id == state.assistant_id and not a.is_router), None)
        if held is not None:
            return held, "held"
    inbox_id = str(inbox.id)
    serving = [a for a in everyone if serves(a, inbox_id)]
    if not serving:
        return None, "none"
    specialists = [a for a in serving if not a.is_router]
    if (chosen := by_keywords(specialists, text)) is not None and len(specialists) > 1:
        return chosen, "keywords"
    if any(a.is_router for a in serving):
        pool = [a for a in everyone if not a.is_router]
        if (chosen := by_keywords(pool, text) or by_router(pool, text)) is not None:
            return chosen, "router"
    return (specialists[0], "inbox") if specialists else (None, "none")


async def assign(
    session: AsyncSession, conv: Conversation, state: ConversationState, assistant: Assistant, *, why: str
) -> None:
    """Record that ``assistant`` now holds the conversation (a timeline note when it changes hands)."""
    if state.assistant_id == assistant.id:
        return
    previous = state.assistant_id
    state.assistant_id = assistant.id
    state.updated_at = session.info["runtime"].clock.now()
    if previous is None and why == "inbox":
        return  # the first assistant of a conversation is no news
    await add_message(
        session,
        conv,
        direction="out",
        sender_type="system",
        content=f"Conversation passed to the assistant {assistant.name} ({why}).",
        payload={"event": "assistant_transfer", "assistant_id": str(assistant.id), "reason": why},
        private=True,
    )
