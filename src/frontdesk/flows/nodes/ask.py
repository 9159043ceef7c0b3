"""``ask``: a question that waits for the contact's reply, validated by type, with retries."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from frontdesk.flows import templating
from frontdesk.flows.nodes.base import NodeBase, NodeContext, NodeResult
from frontdesk.flows.nodes.send_message import Choice

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^\+?[0-9 ()\-.]{6,20}$")
YES = {"yes", "y", "yeah", "yep", "sure", "ok", "okay", "true", "1", "si", "oui", "ja"}
NO = {"no", "n", "nope", "nah", "false", "0", "non", "nein"}


def parse_answer(kind: str, text: str, choices: list[Choice]) -> tuple[bool, Any]:
    """(valid, value) for a reply; the value keeps its type so conditions can compare numbers."""
    text = (text or "").strip()
    if not text:
        return False, None
    if kind == "text":
        return True, text[:4000]
    if kind == "number":
        try:
            value = float(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text.replace(",", ""))
        except ValueError:
            return False, None
        if value != value or value in (float("inf"), float("-inf")):
            return False, None
        return True, int(value) if value.is_integer() else value
    if kind == "email":
        return (True, text.lower()) if EMAIL.match(text) else (False, None)
    if kind == "phone":
        digits = re.sub(r"\D", "", text)
        if PHONE.match(text) and 6 <= len(digits) <= 15:
            return True, ("+" if text.startswith("+") else "") + digits
        return False, None
    if kind == "date":
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d %B %Y", "%B %d %Y", "%B %d, %Y"):
            try:
                return True, datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        low = text.lower()
        if low in ("today", "tomorrow"):
            return True, low
        try:
            return True, date.fromisoformat(text).isoformat()
        except ValueError:
            return False, None
    if kind == "choice":
        low = text.casefold()
        for i, c in enumerate(choices, start=1):
            if low in (c.id.casefold(), c.label.casefold(), str(i)):
                return True, c.id
        return False, None
    if kind == "yes_no":
        low = text.casefold().strip(".!? ")
        if low in YES:
            return True, True
        if low in NO:
            return True, False
        return False, None
    return False, None


class Ask(NodeBase):
    type: Literal["ask"] = "ask"
    question: str = Field(min_length=1, max_length=4000)
    answer_type: Literal["text", "number", "email", "phone", "date", "choice", "yes_no"] = "text"
    choices: list[Choice] = Field(default_factory=list, max_length=10)
    store_in: str = Field(min_length=1, max_length=100, description="state.NAME or attribute.KEY")
    retry_message: str = Field("Sorry, I didn't get that. {{question}}", max_length=2000)
    max_retries: int = Field(2, ge=0, le=10)

    ports: ClassVar[tuple[str, ...]] = ("next", "invalid")
    waits: ClassVar[bool] = True

    def templates(self) -> list[str]:
        return [self.question, self.retry_message.replace("{{question}}", "")]

    def writes(self) -> list[str]:
        return [self.store_in] if self.store_in.startswith("state.") else []

    def check(self) -> list[str]:
        errors = []
        if not re.match(r"^(state|attribute)\.[a-z_][a-z0-9_]{0,79}$", self.store_in):
            errors.append("store_in must be state.NAME or attribute.KEY (lowercase letters, digits, _).")
        if self.answer_type == "choice" and not self.choices:
            errors.append("A choice question needs choices.")
        return errors

    async def _prompt(self, ctx: NodeContext, text: str) -> None:
        payload = {"choices": [c.model_dump() for c in self.choices]} if self.choices else None
        await ctx.send(text, content_type="choices" if self.choices else "text", payload=payload)

    async def run(self, ctx: NodeContext) -> NodeResult:
        question = templating.render(self.question, ctx.values)
        if ctx.input is None:
            ctx.execution.retries = 0
            await self._prompt(ctx, question)
            return NodeResult(port=None, wait="input", output={"asked": question})
        ok, value = parse_answer(self.answer_type, ctx.input, self.choices)
        if ok:
            ctx.execution.retries = 0
            where, name = self.store_in.split(".", 1)
            if where == "state":
                ctx.set_state(name, value)
            else:
                await ctx.set_attribute(name, value, "boolean" if self.answer_type == "yes_no" else None)
            return NodeResult(output={"answer": ctx.input[:500], "value": value, "stored_in": self.store_in})
        ctx.execution.retries += 1
        if ctx.execution.retries > self.max_retries:
            ctx.execution.retries = 0
            return NodeResult(port="invalid", output={"answer": ctx.input[:500], "valid": False, "gave_up": True})
        retry = templating.render(self.retry_message.replace("{{question}}", question), ctx.values)
        await self._prompt(ctx, retry)
        return NodeResult(
            port=None, wait="input", output={"answer": ctx.input[:500], "valid": False, "retry": ctx.execution.retries}
        )
