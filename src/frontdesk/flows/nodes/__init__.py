"""Every node type, one module each, joined in a discriminated union on ``type``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from frontdesk.flows.nodes.ai_reply import AiReply
from frontdesk.flows.nodes.ask import Ask
from frontdesk.flows.nodes.base import NodeBase, NodeContext, NodeFailed, NodeResult
from frontdesk.flows.nodes.condition import Condition
from frontdesk.flows.nodes.end import End
from frontdesk.flows.nodes.handoff import Handoff
from frontdesk.flows.nodes.jump import Jump
from frontdesk.flows.nodes.send_message import SendMessage
from frontdesk.flows.nodes.set_attribute import SetAttribute
from frontdesk.flows.nodes.set_state import SetState
from frontdesk.flows.nodes.wait import Wait
from frontdesk.flows.nodes.webhook_action import WebhookAction

Node = Annotated[
    SendMessage | Ask | Wait | Condition | SetAttribute | SetState | WebhookAction | AiReply | Handoff | Jump | End,
    Field(discriminator="type"),
]

NODE_TYPES: dict[str, type[NodeBase]] = {
    cls.model_fields["type"].default: cls
    for cls in (SendMessage, Ask, Wait, Condition, SetAttribute, SetState, WebhookAction, AiReply, Handoff, Jump, End)
}

__all__ = ["NODE_TYPES", "Node", "NodeBase", "NodeContext", "NodeFailed", "NodeResult"]
