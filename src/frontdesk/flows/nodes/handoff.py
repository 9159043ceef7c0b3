"""``handoff``: escalate to people (optionally a team), then end the flow or pause it."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from frontdesk.flows import templating
from frontdesk.flows.nodes.base import NodeBase, NodeContext, NodeResult


class Handoff(NodeBase):
    type: Literal["handoff"] = "handoff"
    reason: str = Field("flow_handoff", max_length=200)
    team_id: uuid.UUID | None = None
    then: Literal["end", "pause"] = "end"

    def templates(self) -> list[str]:
        return [self.reason]

    async def run(self, ctx: NodeContext) -> NodeResult:
        if ctx.execution.waiting_for == "human":
            # Resumed by a person after the pause: carry on from here.
            return NodeResult(output={"resumed": True})
        reason = templating.render(self.reason, ctx.values)[:200] or "flow_handoff"
        if not ctx.test and ctx.conversation is not None:
            from frontdesk.conversations.service import escalate

            if self.team_id is not None:
                from frontdesk.inboxes.models import Team

                team = await ctx.session.get(Team, self.team_id)
                if team is not None and team.organization_id == ctx.conversation.organization_id:
                    ctx.conversation.team_id = team.id
            await escalate(ctx.session, ctx.conversation, reason=reason, by="flow")
        else:
            await ctx.send("(handoff to a person)", payload={"event": "handoff", "reason": reason})
        if self.then == "pause":
            return NodeResult(port=None, wait="human", output={"reason": reason, "paused": True})
        return NodeResult(port=None, end=True, output={"reason": reason})
