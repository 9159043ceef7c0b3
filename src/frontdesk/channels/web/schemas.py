from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from frontdesk.messages.schemas import MAX_TEXT, Message

CLIENT_ID = r"^[A-Za-z0-9._:-]{1,64}$"


class WidgetUser(BaseModel):
    """What ``Frontdesk.setUser`` sends. ``hash`` is HMAC-SHA256(identity secret, id) in hex."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=150)
    name: str = Field("", max_length=200)
    email: EmailStr | None = None
    hash: str | None = Field(None, max_length=128)


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visitor_token: str | None = Field(None, max_length=600, description="The token an earlier session issued.")
    user: WidgetUser | None = None


class WidgetInbox(BaseModel):
    name: str
    color: str
    position: str
    greeting: str


class VisitorInfo(BaseModel):
    id: str = Field(description="visitor:<uuid> for anonymous visitors, user:<id> for verified users.")
    verified: bool
    name: str
    email: str | None


class Prechat(BaseModel):
    required: bool
    fields: list[str]
    completed: bool


class WidgetConversation(BaseModel):
    id: uuid.UUID
    status: str
    human: bool = Field(description="A person (not the assistant) handles it now.")
    csat_requested: bool = Field(description="Resolved, rating enabled and not rated yet: show the rating prompt.")
    rated: bool
    agent_read_at: datetime | None = Field(description="How far an agent has read the visitor's messages.")


class Limits(BaseModel):
    max_text: int
    max_attachment_bytes: int
    attachment_types: list[str]


class WidgetSession(BaseModel):
    visitor_token: str
    visitor: VisitorInfo
    inbox: WidgetInbox
    open_now: bool
    out_of_office_message: str
    agents_online: bool
    prechat: Prechat
    csat_enabled: bool
    conversation: WidgetConversation | None
    messages: list[Message] = Field(description="The last public messages, oldest first.")
    cursor: str | None = Field(description="Pass as `after` to the messages listing to catch up.")
    limits: Limits


class MessagePage(BaseModel):
    items: list[Message]
    next_cursor: str | None
    conversation: WidgetConversation | None
    agents_online: bool


class WidgetMessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=MAX_TEXT)
    client_id: str = Field(pattern=CLIENT_ID, description="The widget's id for the message; a retry is stored once.")
    choice_id: str | None = Field(None, min_length=1, max_length=64, description="The choice button clicked.")


class SentMessage(BaseModel):
    created: bool = Field(description="False when this client_id was already stored.")
    message: Message
    conversation: WidgetConversation


class PrechatSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40, pattern=r"^\+?[0-9 ()\-.]{3,40}$")


class AttributesSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attributes: dict[str, Any] = Field(max_length=50)


class CsatSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=1000)


class CsatResult(BaseModel):
    conversation_id: uuid.UUID
    rating: int
    comment: str


class ReadResult(BaseModel):
    conversation_id: uuid.UUID | None
    marked: int
