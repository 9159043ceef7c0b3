"""``set_attribute``: a typed contact attribute (``{{contact.attribute.KEY}}``), kept after the flow."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from frontdesk.flows.nodes.base import NodeBase, NodeContext, NodeFailed, NodeResult
from frontdesk.flows.nodes.values import ValueSpec
from frontdesk.kit.errors import ValidationFailed


class SetAttribute(NodeBase, ValueSpec):
    type: Literal["set_attribute"] = "set_attribute"
    key: str = Field(min_length=1, max_length=80, pattern=r"^[a-z][a-z0-9_]*$")

    def templates(self) -> list[str]:
        return self.value_templates()

    def check(self) -> list[str]:
        return self.value_check()

    async def run(self, ctx: NodeContext) -> NodeResult:
        value = self.resolve(ctx.values)
        try:
            stored = await ctx.set_attribute(self.key, value, self.value_type)
        except ValidationFailed as exc:
            raise NodeFailed(exc.message) from None
        return NodeResult(output={"key": self.key, "value": stored})
