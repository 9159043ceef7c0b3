"""Copilot drafts and the agent's writing aids, as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.messages.schemas import MAX_TEXT

DraftStatus = Literal["pending", "sent", "rejected", "superseded"]


class Draft(BaseModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    message_id: uuid.UUID | None = Field(description="The customer message the draft answers.")
    assistant_id: uuid.UUID | None
    status: DraftStatus
    original: str = Field(description="What the assistant first wrote.")
    content: str = Field(description="The text now, after edits and revisions.")
    revisions: list[dict[str, Any]]
    ai: dict[str, Any] = Field(description="Intent, confidence, escalation, sources and tool calls of the answer.")
    edited: bool = Field(description="Whether a person changed the assistant's text before it was sent.")
    reject_reason: str
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    sent_message_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime | None


class DraftEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=MAX_TEXT)


class DraftApprove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str | None = Field(None, min_length=1, max_length=MAX_TEXT, description="Send this text instead.")
    client_id: str | None = Field(None, max_length=64)


class DraftReject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=500)


class DraftRevise(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instruction: str = Field(min_length=1, max_length=500, examples=["shorter", "more formal", "offer a discount"])


class DraftSent(BaseModel):
    draft: Draft
    message: Any


class ImproveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT)
    instruction: str = Field("", max_length=500, description="Optional: how to change it, as for revise.")


class Assist(BaseModel):
    kind: Literal["suggest", "summary", "improve"]
    text: str
    notes: list[str] = Field(default_factory=list)
    ai: dict[str, Any] = Field(default_factory=dict)


class DraftReviewStats(BaseModel):
    total: int
    pending: int
    sent: int
    sent_unchanged: int
    sent_edited: int
    rejected: int
    superseded: int
