from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.notifications.catalog import EmailMode


class Notification(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organization_id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str | None
    data: dict[str, Any]
    read_at: datetime | None
    created_at: datetime


class NotificationFilter(BaseModel):
    unread: bool | None = Field(None, description="true: only unread; false: only read; absent: both")
    kind: str | None = None


class UnreadCount(BaseModel):
    unread: int


class KindSummary(BaseModel):
    kind: str
    label: str
    total: int
    unread: int


class BulkAction(BaseModel):
    action: Literal["read", "unread", "delete"]
    ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class BulkResult(BaseModel):
    changed: int


class Preference(BaseModel):
    kind: str
    label: str
    in_app: bool
    email: EmailMode
    browser: bool
    customised: bool = False


class PreferenceUpdate(BaseModel):
    kind: str
    in_app: bool
    email: EmailMode
    browser: bool


class Preferences(BaseModel):
    sound: bool
    digest_hour: int = Field(ge=0, le=23)
    kinds: list[Preference]


class PreferencesUpdate(BaseModel):
    sound: bool | None = None
    digest_hour: int | None = Field(None, ge=0, le=23)
    kinds: list[PreferenceUpdate] = Field(default_factory=list, max_length=50)


class AnnouncementCreate(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field("", max_length=5000)
    link: str | None = Field(None, max_length=500, pattern=r"^/")


class AnnouncementSent(BaseModel):
    recipients: int
