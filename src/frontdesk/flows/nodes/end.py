"""``end``: the execution completes (optionally with a last message)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from frontdesk.flows import templating
from frontdesk.flows.nodes.base import NodeBase, NodeContext, NodeResult


class End(NodeBase):
    type: Literal["end"] = "end"
    message: str = Field("", max_length=4000)

    ports = ()

    def templates(self) -> list[str]:
        return [self.message]

    async def run(self, ctx: NodeContext) -> NodeResult:
        if self.message.strip():
            await ctx.send(templating.render(self.message, ctx.values))
        return NodeResult(port=None, end=True)
