from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT = 4000

ContentType = Literal["text", "image", "file", "choices", "card"]


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    label: str = Field(min_length=1, max_length=80)


class Attachment(BaseModel):
    id: str
    name: str
    content_type: str
    size: int
    url: str


class Message(BaseModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    direction: str
    sender_type: str
    sender_id: uuid.UUID | None = Field(None, description="Who wrote it (agents' views only).")
    sender_name: str
    content_type: str
    content: str
    payload: dict[str, Any]
    attachments: list[dict[str, Any]]
    private: bool
    delivery_status: str
    delivery_error: str | None = Field(None, description="Why a remote channel did not deliver it, when it failed.")
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    read_at: datetime | None
    ai: dict[str, Any] = Field(default_factory=dict)
    cursor: str


class AgentMessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=MAX_TEXT)
    private: bool = Field(False, description="A private note, seen by agents only.")
    content_type: Literal["text", "choices"] = "text"
    choices: list[Choice] = Field(default_factory=list, max_length=10)
    client_id: str | None = Field(None, max_length=64, description="Your id for the message; a retry is stored once.")


class MessageEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=MAX_TEXT)
