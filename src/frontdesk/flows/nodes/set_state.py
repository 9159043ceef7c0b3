"""``set_state``: a typed value in the execution's own state (``{{state.NAME}}``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from frontdesk.flows.nodes.base import NodeBase, NodeContext, NodeResult
from frontdesk.flows.nodes.values import ValueSpec


class SetState(NodeBase, ValueSpec):
    type: Literal["set_state"] = "set_state"
    name: str = Field(min_length=1, max_length=80, pattern=r"^[a-z_][a-z0-9_]*$")

    def templates(self) -> list[str]:
        return self.value_templates()

    def writes(self) -> list[str]:
        return [f"state.{self.name}"]

    def check(self) -> list[str]:
        return self.value_check()

    async def run(self, ctx: NodeContext) -> NodeResult:
        value = self.resolve(ctx.values)
        ctx.set_state(self.name, value)
        return NodeResult(output={"name": self.name, "value": value})
