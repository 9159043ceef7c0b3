"""``condition``: branch on state, attributes, the message, or the time, with all/any."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from frontdesk.flows import conditions
from frontdesk.flows.nodes.base import NodeBase, NodeContext, NodeResult


class Condition(NodeBase):
    type: Literal["condition"] = "condition"
    mode: Literal["all", "any"] = "all"
    rules: list[conditions.Rule] = Field(default_factory=list, max_length=50)

    ports: ClassVar[tuple[str, ...]] = ("true", "false")

    def templates(self) -> list[str]:
        out = []
        for r in self.rules:
            out.append("{{" + r.left + "}}" if r.left.split(".", 1)[0] in ("contact", "state", "message") else "")
            if isinstance(r.right, str):
                out.append(r.right)
        return out

    def check(self) -> list[str]:
        errors = []
        if not self.rules:
            errors.append("A condition needs at least one rule.")
        for r in self.rules:
            try:
                conditions.check_rule(r)
            except ValueError as exc:
                errors.append(f"Rule on {r.left}: {exc}")
        return errors

    async def run(self, ctx: NodeContext) -> NodeResult:
        result = conditions.evaluate(conditions.RuleSet(mode=self.mode, rules=self.rules), ctx.values)
        return NodeResult(port="true" if result else "false", output={"result": result})
