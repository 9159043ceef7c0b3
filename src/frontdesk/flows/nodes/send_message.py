"""``send_message``: text, media, choice buttons or a list, with ``{{...}}`` placeholders."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.flows import templating
from frontdesk.flows.nodes.base import NodeBase, NodeContext, NodeResult


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    label: str = Field(min_length=1, max_length=80)


class SendMessage(NodeBase):
    type: Literal["send_message"] = "send_message"
    text: str = Field("", max_length=4000)
    media_url: str | None = Field(None, max_length=2000)
    media_type: Literal["image", "video", "audio", "document"] = "image"
    choices: list[Choice] = Field(default_factory=list, max_length=10)
    style: Literal["buttons", "list"] = "buttons"

    def templates(self) -> list[str]:
        return [self.text, self.media_url or ""]

    def check(self) -> list[str]:
        if not self.text.strip() and not self.media_url:
            return ["A message needs text or a media URL."]
        return []

    async def run(self, ctx: NodeContext) -> NodeResult:
        text = templating.render(self.text, ctx.values)
        payload: dict[str, object] = {}
        content_type = "text"
        attachments = None
        if self.choices:
            content_type = "choices"
            payload = {
                "choices": [{"id": c.id, "label": templating.render(c.label, ctx.values)[:80]} for c in self.choices],
                "style": self.style,
            }
        if self.media_url:
            url = templating.render(self.media_url, ctx.values)
            attachments = [{"url": url, "type": self.media_type}]
            payload["media"] = {"url": url, "type": self.media_type}
        sent = await ctx.send(text or " ", content_type=content_type, payload=payload, attachments=attachments)
        return NodeResult(output={"text": text, **({"message_id": sent["message_id"]} if "message_id" in sent else {})})
