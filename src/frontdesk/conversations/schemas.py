from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from frontdesk.kit.pagination import Page

Status = Literal["bot", "pending", "open", "snoozed", "resolved"]
Mode = Literal["ai", "human", "copilot"]
Priority = Literal["none", "low", "medium", "high", "urgent"]
# Labels are matched inside their JSON list's text, so quotes and backslashes are kept out.
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=r'^[^"\\]+$')]


class MessagePreview(BaseModel):
    direction: str
    sender_type: str
    sender_name: str
    content_type: str
    content: str = Field(description="The first 160 characters; empty for a deleted message.")
    created_at: datetime


class ConversationItem(BaseModel):
    id: uuid.UUID
    inbox_id: uuid.UUID
    contact_id: uuid.UUID
    contact_name: str
    contact_email: str | None
    status: Status
    mode: Mode
    priority: Priority
    labels: list[str]
    assignee_id: uuid.UUID | None
    assignee_name: str | None
    team_id: uuid.UUID | None
    subject: str
    snoozed_until: datetime | None
    escalation_reason: str | None
    escalated_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    last_activity_at: datetime | None
    created_at: datetime
    last_message: MessagePreview | None = Field(description="The newest message the customer can see.")
    unread_count: int | None = Field(
        description="Customer messages since you last opened the conversation; null for API keys."
    )


class ContactSummary(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    last_seen_at: datetime | None


class InboxSummary(BaseModel):
    id: uuid.UUID
    name: str
    channel: str


class CsatSummary(BaseModel):
    rating: int
    comment: str
    created_at: datetime


class ConversationDetail(ConversationItem):
    contact: ContactSummary
    inbox: InboxSummary
    instructions: str
    contact_last_seen_at: datetime | None
    csat: CsatSummary | None


class StatusCounts(BaseModel):
    bot: int = 0
    pending: int = 0
    open: int = 0
    snoozed: int = 0
    resolved: int = 0


class ConversationCounts(BaseModel):
    mine: StatusCounts
    unassigned: StatusCounts
    all: StatusCounts


class ConversationUpdate(BaseModel):
    """Only the fields sent are changed. ``assignee_id: null`` (or ``unassign: true``) unassigns."""

    model_config = ConfigDict(extra="forbid")

    assignee_id: uuid.UUID | None = None
    unassign: bool = False
    team_id: uuid.UUID | None = Field(None, description="A team of the organization; null clears it.")
    labels: list[Label] | None = Field(None, max_length=20)
    priority: Priority | None = None
    status: Status | None = Field(
        None, description="`open` or `pending` reopens a resolved conversation; `snoozed` needs `snoozed_until`."
    )
    snoozed_until: AwareDatetime | None = Field(None, description="With a time zone, e.g. 2025-01-31T09:00:00Z.")
    mode: Literal["human", "copilot"] | None = Field(
        None, description="To give the conversation back to the assistant, use POST .../hand-back."
    )
    instructions: str | None = Field(None, max_length=4000)

    @field_validator("snoozed_until")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        # Stored and scheduled in UTC; a far-off date with an odd offset must fail here, not there.
        try:
            return value.astimezone(UTC) if value is not None else None
        except OverflowError:
            raise ValueError("out of range") from None


class EscalateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class CannedResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    shortcut: str
    content: str
    created_at: datetime


Shortcut = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=1, max_length=61, pattern=r"^/?[A-Za-z0-9][A-Za-z0-9_-]{0,59}$"
    ),
]


class CannedResponseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shortcut: Shortcut = Field(description="Letters, digits, - and _; typed after / in the reply box. Unique.")
    content: str = Field(min_length=1, max_length=4000)


class CannedResponseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shortcut: Shortcut | None = None
    content: str | None = Field(None, min_length=1, max_length=4000)


class CsatItem(BaseModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    contact_name: str
    agent_id: uuid.UUID | None
    agent_name: str | None
    rating: int
    comment: str
    created_at: datetime


class CsatReport(Page[CsatItem]):
    average: float | None = Field(description="Mean rating over every rating that matches the filters.")
    distribution: dict[str, int] = Field(description='How many of each rating, "1" to "5".')
