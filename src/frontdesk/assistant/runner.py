"""One assistant turn: instructions, history, tools and a model in, an :class:`Answer` out.

The same agent code runs every model (a vendor's LLM, a fallback chain, the offline local model), so
what works offline works with a key. Text is streamed to ``on_delta`` as the model writes it. The run
never raises for a model or tool failure: the customer gets a hand-over instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import structlog
from pydantic_ai import Agent, RunContext
from pydantic_ai.messages import (
    AgentStreamEvent,
    ModelMessage,
    ModelRequest,
    ModelResponse,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
    UserPromptPart,
)
from pydantic_ai.models import Model
from pydantic_ai.settings import ModelSettings
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import instructions, intents
from frontdesk.assistant.tools import Deps, tools_for

if TYPE_CHECKING:
    from collections.abc import AsyncIterable

    from frontdesk.assistant.models import Assistant
    from frontdesk.contacts.models import Contact
    from frontdesk.conversations.models import Conversation
    from frontdesk.kit.runtime import Runtime

log = structlog.get_logger("frontdesk.assistant")

HANDOVER_TEXT = "Let me find a colleague who can help you with that."
REFUSAL_TEXT = "I can't share that, but I'm happy to help with your question."
RUN_TIMEOUT_SECONDS = 120.0
# Rule-recognised intents are certain enough to act on without the knowledge base.
RULE_CONFIDENCE = 0.95


@dataclass
class Turn:
    role: Literal["customer", "assistant", "agent", "system"]
    text: str


@dataclass
class Answer:
    text: str
    intent: str | None
    confidence: float
    escalate: bool
    reason: str | None
    sources: list[dict[str, Any]] = field(default_factory=list)  # {"article_id", "title"}
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    model: str = ""
    usage: dict[str, Any] = field(default_factory=dict)
    resolve: bool = False
    transfer_to: uuid.UUID | None = None
    captured: dict[str, Any] = field(default_factory=dict)


async def model_for(session: AsyncSession, runtime: Runtime, assistant: Assistant) -> Model:
    """The organization's provider chain (ending in local); the local model alone without the providers module."""
    try:
        from frontdesk.assistant.providers.registry import model_for as registry_model_for
    except ImportError:
        from frontdesk.assistant.providers.local import local_model

        return local_model(assistant)
    return await registry_model_for(session, runtime, assistant.organization_id, assistant)


def to_messages(history: Sequence[Turn]) -> tuple[list[ModelMessage], str]:
    """Earlier turns as model messages, and the customer's latest words as the prompt."""
    turns = [t for t in history if t.text.strip() and t.role != "system"]
    prompt_parts: list[str] = []
    while turns and turns[-1].role == "customer":
        prompt_parts.insert(0, turns.pop().text)
    messages: list[ModelMessage] = []
    for turn in turns:
        if turn.role == "customer":
            messages.append(ModelRequest(parts=[UserPromptPart(turn.text)]))
        else:
            # Agents speak for the business too; the model sees their words as its own side's.
            messages.append(ModelResponse(parts=[TextPart(turn.text)]))
    return messages, "\n".join(prompt_parts)


async def run_assistant(
    session: AsyncSession,
    runtime: Runtime,
    *,
    assistant: Assistant,
    history: list[Turn],
    extra_instructions: Sequence[str] = (),
    conversation: Conversation | None = None,
    contact: Contact | None = None,
    on_delta: Callable[[str], Awaitable[None]] | None = None,
    message_id: uuid.UUID | None = None,
    model: Model | None = None,
) -> Answer:
    layers = await instructions.compose(
        session, assistant, conversation=conversation, contact=contact, extra=extra_instructions
    )
    messages, prompt = to_messages(history)
    kind = intents.classify(prompt)
    deps = Deps(
        session=session,
        runtime=runtime,
        assistant=assistant,
        conversation=conversation,
        contact=contact,
        message_id=message_id,
    )
    chosen = model or await model_for(session, runtime, assistant)
    agent: Agent[Deps, str] = Agent(
        chosen,
        deps_type=Deps,
        instructions="\n\n".join(layers),
        tools=tools_for(assistant),
        retries=1,
    )
    streamed: list[str] = []

    async def handle_events(ctx: RunContext[Deps], events: AsyncIterable[AgentStreamEvent]) -> None:
        async for event in events:
            delta = ""
            if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
                delta = event.part.content
            elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
                delta = event.delta.content_delta
            if delta:
                streamed.append(delta)
                if on_delta is not None:
                    try:
                        await on_delta(delta)
                    except Exception as exc:  # a dropped listener must not cost the answer
                        log.warning("assistant_delta_failed", error=repr(exc)[:200])

    settings: ModelSettings = {"temperature": float(assistant.temperature)}
    try:
        result = await agent.run(
            prompt or None,
            message_history=messages or None,
            deps=deps,
            model_settings=settings,
            event_stream_handler=handle_events,
            timeout=RUN_TIMEOUT_SECONDS,
        )
    except Exception as exc:
        log.warning("assistant_run_failed", assistant_id=str(assistant.id), error=repr(exc)[:300])
        return Answer(
            text=HANDOVER_TEXT,
            intent=_intent(kind, deps),
            confidence=0.0,
            escalate=True,
            reason="assistant_error",
            tool_calls=deps.tool_calls,
            model="",
        )
    text = str(result.output or "").strip()
    if instructions.leaks(text, layers):
        log.warning("assistant_instructions_leak_blocked", assistant_id=str(assistant.id))
        text = REFUSAL_TEXT
    model_name = _model_name(result.all_messages())
    usage = result.usage
    # Tokens and cost per message, conversation and day, under whichever provider of the chain answered.
    from frontdesk.assistant import usage as ai_usage

    await ai_usage.record_messages(
        session,
        organization_id=assistant.organization_id,
        conversation_id=conversation.id if conversation is not None else None,
        message_id=message_id,
        messages=result.new_messages(),
    )
    return Answer(
        text=text or HANDOVER_TEXT,
        intent=_intent(kind, deps),
        confidence=_confidence(kind, deps),
        escalate=deps.escalate,
        reason=deps.escalate_reason,
        sources=list(deps.sources),
        tool_calls=list(deps.tool_calls),
        model=model_name,
        usage={
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "requests": usage.requests,
        },
        resolve=deps.resolve,
        transfer_to=deps.transfer_to,
        captured=dict(deps.captured),
    )


def _model_name(messages: list[ModelMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, ModelResponse) and message.model_name:
            return message.model_name
    return ""


def _intent(kind: str, deps: Deps) -> str | None:
    if kind != "question":
        return kind
    if deps.captured:
        return "contact_details"
    if deps.best_title:
        return deps.best_title
    return "unknown"


def _confidence(kind: str, deps: Deps) -> float:
    if kind != "question" or deps.captured:
        return RULE_CONFIDENCE
    return round(deps.search_confidence or 0.0, 4)
