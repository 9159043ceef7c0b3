"""``ai_reply``: the assistant answers the contact's last message, with its tools."""

from __future__ import annotations

import importlib
import uuid
from typing import Any, ClassVar, Literal

from pydantic import Field
from sqlalchemy import select

from frontdesk.flows import templating
from frontdesk.flows.nodes.base import NodeBase, NodeContext, NodeFailed, NodeResult


class AiReply(NodeBase):
    type: Literal["ai_reply"] = "ai_reply"
    assistant_id: uuid.UUID | None = Field(None, description="Empty: the organization's first assistant")
    extra_instructions: str = Field("", max_length=4000)
    save_as: str | None = Field(None, max_length=80, pattern=r"^[a-z_][a-z0-9_]*$")
    escalate_port: bool = Field(True, description="Follow the 'escalate' port when the assistant wants a human")

    ports: ClassVar[tuple[str, ...]] = ("next", "escalate", "failure")

    def templates(self) -> list[str]:
        return [self.extra_instructions]

    def writes(self) -> list[str]:
        return [f"state.{self.save_as}"] if self.save_as else []

    async def run(self, ctx: NodeContext) -> NodeResult:
        try:
            runner = importlib.import_module("frontdesk.assistant.runner")
        except ImportError:
            raise NodeFailed("The assistant is not available in this installation.") from None
        from frontdesk.assistant.models import Assistant

        stmt = select(Assistant).where(Assistant.organization_id == ctx.execution.organization_id)
        if self.assistant_id is not None:
            stmt = stmt.where(Assistant.id == self.assistant_id)
        assistant = await ctx.session.scalar(stmt.order_by(Assistant.created_at).limit(1))
        if assistant is None:
            raise NodeFailed("No assistant is configured for this organization.")
        history = await self._history(ctx)
        extra = templating.render(self.extra_instructions, ctx.values)
        try:
            answer: Any = await runner.run_assistant(
                ctx.session,
                ctx.runtime,
                assistant=assistant,
                history=history,
                extra_instructions=(extra,) if extra else (),
                conversation=ctx.conversation,
                contact=ctx.contact,
            )
        except Exception as exc:  # the provider's failure is the node's failure, never the engine's
            raise NodeFailed(f"The assistant failed: {type(exc).__name__}: {exc}"[:500]) from None
        text = str(getattr(answer, "text", "") or "")
        if text:
            await ctx.send(text, payload={"ai": True})
        if self.save_as:
            ctx.set_state(self.save_as, text)
        output = {
            "text": text[:2000],
            "intent": getattr(answer, "intent", None),
            "escalate": bool(getattr(answer, "escalate", False)),
        }
        if output["escalate"] and self.escalate_port:
            return NodeResult(port="escalate", output=output)
        return NodeResult(output=output)

    async def _history(self, ctx: NodeContext) -> list[Any]:
        """The conversation as the runner's turns; the flow's own messages count as the assistant's."""
        from frontdesk.assistant.runner import Turn

        if ctx.conversation is None:
            text = ctx.values.get("message", {}).get("text") or ""
            return [Turn("customer", text)] if text else []
        from frontdesk.messages.models import Message

        rows = list(
            await ctx.session.scalars(
                select(Message)
                .where(Message.conversation_id == ctx.conversation.id, Message.private.is_(False))
                .order_by(Message.created_at.desc())
                .limit(20)
            )
        )
        roles = {"contact": "customer", "agent": "agent", "system": "system"}
        return [Turn(roles.get(m.sender_type, "assistant"), m.content) for m in reversed(rows) if m.content]  # type: ignore[arg-type]
