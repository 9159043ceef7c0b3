"""``jump``: continue at another node of this flow, or hand over to another published flow."""

from __future__ import annotations

import uuid
from typing import Literal

from frontdesk.flows.nodes.base import NodeBase, NodeContext, NodeResult


class Jump(NodeBase):
    type: Literal["jump"] = "jump"
    target_node: str | None = None
    target_flow_id: uuid.UUID | None = None

    ports = ()

    def check(self) -> list[str]:
        if bool(self.target_node) == bool(self.target_flow_id):
            return ["A jump needs exactly one target: a node of this flow or another flow."]
        return []

    async def run(self, ctx: NodeContext) -> NodeResult:
        if self.target_flow_id is not None:
            return NodeResult(port=None, jump_flow=self.target_flow_id, output={"flow": str(self.target_flow_id)})
        return NodeResult(port=None, jump_node=self.target_node, output={"node": self.target_node})
