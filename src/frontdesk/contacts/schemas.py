from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

AttributeType = Literal["string", "number", "boolean", "date", "json"]
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,79}$"


class AttributeValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: AttributeType | None = Field(None, description="Inferred from the value when left out.")
    value: Any


class Attribute(BaseModel):
    key: str
    type: AttributeType
    value: str | float | bool | date | dict[str, Any] | list[Any] | None
    updated_at: datetime | None = None


class Contact(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    description: str
    created_at: datetime
    last_seen_at: datetime | None
    opted_out: bool
    identities: dict[str, str] = Field(default_factory=dict, description="External id per channel.")
    attributes: dict[str, Any] = Field(default_factory=dict)


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40, pattern=r"^\+?[0-9 ()\-.]{3,40}$")
    description: str = Field("", max_length=4000)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40, pattern=r"^\+?[0-9 ()\-.]{3,40}$")
    description: str | None = Field(None, max_length=4000)


class ContactConversation(BaseModel):
    """One of the contact's conversations, for the "previous conversations" list."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    inbox_id: uuid.UUID
    status: str
    mode: str
    subject: str
    labels: list[str]
    priority: str
    assignee_id: uuid.UUID | None
    created_at: datetime
    last_activity_at: datetime | None
    resolved_at: datetime | None


AttributesPatch = dict[str, AttributeValue | None]
