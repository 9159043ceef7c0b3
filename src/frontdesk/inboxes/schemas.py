from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["web", "api", "whatsapp"]
PrechatField = Literal["name", "email", "phone"]
Position = Literal["left", "right"]

COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"
BusinessHours = dict[str, Any]


class Inbox(BaseModel):
    id: uuid.UUID
    name: str
    channel: str
    public_token: str = Field(description="What the widget snippet carries; public by design, rotatable.")
    greeting: str
    widget_color: str
    widget_position: str
    timezone: str
    business_hours: dict[str, list[list[str]]]
    out_of_office_message: str
    assistant_enabled: bool
    prechat_required: bool
    prechat_fields: list[str]
    auto_assign: bool
    max_open_per_agent: int
    team_id: uuid.UUID | None
    csat_enabled: bool
    require_identity: bool
    has_identity_secret: bool = Field(description="Whether an identity secret exists; the secret is never shown.")
    allowed_origins: list[str]
    copilot: bool
    created_at: datetime


class _InboxFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    greeting: str | None = Field(None, max_length=1000)
    widget_color: str | None = Field(None, pattern=COLOR_PATTERN)
    widget_position: Position | None = None
    timezone: str | None = Field(None, min_length=1, max_length=64)
    business_hours: BusinessHours | None = Field(
        None, description='{"mon": [["09:00", "17:30"]], ...}; days left out are closed; {} is always open.'
    )
    out_of_office_message: str | None = Field(None, max_length=2000)
    assistant_enabled: bool | None = None
    prechat_required: bool | None = None
    prechat_fields: list[PrechatField] | None = Field(None, max_length=3)
    auto_assign: bool | None = None
    max_open_per_agent: int | None = Field(None, ge=1, le=1000)
    team_id: uuid.UUID | None = None
    csat_enabled: bool | None = None
    require_identity: bool | None = Field(None, description="Refuse widget visitors without a valid identity hash.")
    allowed_origins: list[str] | None = Field(
        None, max_length=50, description="Sites allowed to embed the widget, e.g. https://example.com; [] allows any."
    )
    copilot: bool | None = Field(None, description="The assistant drafts replies and people send them.")


class InboxCreate(_InboxFields):
    name: str = Field(min_length=1, max_length=200)
    channel: Channel


class InboxUpdate(_InboxFields):
    name: str | None = Field(None, min_length=1, max_length=200)


class IdentitySecret(BaseModel):
    identity_secret: str = Field(
        description="HMAC-SHA256 key for visitor identity hashes. Shown this once; keep it on your server."
    )


class Snippet(BaseModel):
    public_token: str
    snippet: str = Field(description="Paste before </body> on every page that shows the widget.")


class InboxStatus(BaseModel):
    open: bool = Field(description="Whether the inbox is inside its business hours now.")
    timezone: str
    local_time: datetime
    business_hours: dict[str, list[list[str]]]


class TeamMember(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str
    added_at: datetime


class Team(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    created_at: datetime
    members: list[TeamMember]


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    member_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class TeamUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=2000)


class TeamMemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID
