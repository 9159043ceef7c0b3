"""What every node type shares: its config model, the context it runs in, and what it returns."""

from __future__ import annotations

import uuid
from abc import abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from frontdesk.contacts.models import Contact
    from frontdesk.conversations.models import Conversation
    from frontdesk.flows.models import FlowExecution
    from frontdesk.kit.runtime import Runtime


class Position(BaseModel):
    model_config = ConfigDict(extra="ignore")

    x: float = 0
    y: float = 0


class NodeBase(BaseModel):
    """A node's id and place on the canvas; each type adds its own config fields."""

    model_config = ConfigDict(extra="forbid")

    type: str
    id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_\-]+$")
    label: str = Field("", max_length=120)
    position: Position = Field(default_factory=Position)

    #: The outgoing ports the editor draws; "failure" is available on every node.
    ports: ClassVar[tuple[str, ...]] = ("next",)
    #: Nodes that stop the execution until something happens must not sit in a loop without an exit.
    waits: ClassVar[bool] = False

    @abstractmethod
    async def run(self, ctx: NodeContext) -> NodeResult:
        """Do the node's work; every node type defines it."""

    def templates(self) -> list[str]:
        """Every template text of the config, for validation of the variables they read."""
        return []

    def writes(self) -> list[str]:
        """State variables (``state.x``) this node sets, so validation knows they exist."""
        return []

    def check(self) -> list[str]:
        """Problems in the config that pydantic cannot see; each becomes a validation error."""
        return []


class NodeFailed(Exception):
    """A node could not do its work; the engine follows its failure port, or fails the execution."""


@dataclass
class NodeResult:
    port: str | None = "next"
    output: dict[str, Any] = field(default_factory=dict)
    wait: str | None = None  # input, time, human
    wait_until: datetime | None = None
    end: bool = False
    jump_node: str | None = None
    jump_flow: uuid.UUID | None = None


@dataclass
class NodeContext:
    session: AsyncSession
    runtime: Runtime
    execution: FlowExecution
    contact: Contact | None
    conversation: Conversation | None
    values: dict[str, Any]
    test: bool
    #: The reply an ``ask`` is resuming with, taken off the execution once.
    input: str | None = None

    @property
    def now(self) -> datetime:
        return self.runtime.clock.now()

    @property
    def state(self) -> dict[str, Any]:
        return self.execution.state

    def set_state(self, name: str, value: Any) -> None:
        state = dict(self.execution.state or {})
        state[name] = value
        self.execution.state = state
        self.values["state"] = state

    async def set_attribute(self, key: str, value: Any, type_: str | None) -> Any:
        from frontdesk.contacts import attributes as attrs
        from frontdesk.contacts.definitions import type_of

        attrs.check_key(key)
        # An organization's definition of the key decides its type, as it does for the API.
        type_ = await type_of(self.session, self.execution.organization_id, key) or type_
        kind, cols = attrs.coerce(key, type_, value)
        stored = next((v for v in cols.values() if v is not None), value)
        if hasattr(stored, "isoformat"):
            stored = stored.isoformat()
        self.values.setdefault("contact", {}).setdefault("attribute", {})[key] = stored
        if self.test or self.contact is None:
            # A test run must not change real contacts: its attributes live in the execution.
            state = dict(self.execution.state or {})
            state.setdefault("__attributes", {})[key] = stored
            self.execution.state = state
            return stored
        from frontdesk.contacts.models import ContactAttribute
        from frontdesk.contacts.repository import attribute as find_attribute

        row = await find_attribute(self.session, self.contact.id, key)
        if row is None:
            row = ContactAttribute(
                organization_id=self.contact.organization_id,
                contact_id=self.contact.id,
                key=key,
                type=kind,
                created_at=self.now,
                **cols,
            )
            self.session.add(row)
        else:
            row.type = kind
            for name, v in cols.items():
                setattr(row, name, v)
        row.updated_at = self.now
        return stored

    async def send(
        self,
        text: str,
        *,
        content_type: str = "text",
        payload: dict[str, Any] | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Say something to the contact: through ``add_message`` so every channel delivers it."""
        entry = {"text": text, "content_type": content_type, "payload": payload or {}, "at": self.now.isoformat()}
        transcript = list(self.execution.transcript or [])
        transcript.append({"from": "flow", **entry})
        self.execution.transcript = transcript[-200:]
        if self.test:
            return entry
        if self.conversation is None:
            raise NodeFailed("The contact has no conversation to send the message to.")
        from frontdesk.messages.service import add_message

        message, _ = await add_message(
            self.session,
            self.conversation,
            direction="out",
            sender_type="flow",
            sender_name="Bot",
            content=text,
            content_type=content_type,
            payload={**(payload or {}), "flow_execution_id": str(self.execution.id)},
            attachments=attachments,
        )
        return {**entry, "message_id": str(message.id)}
