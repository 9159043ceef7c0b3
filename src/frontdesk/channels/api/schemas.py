from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from frontdesk.messages.schemas import MAX_TEXT, Message


class ApiContact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(min_length=1, max_length=200, description="Your id for this customer.")
    name: str = Field("", max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40, pattern=r"^\+?[0-9 ()\-.]{3,40}$")


class ApiMessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact: ApiContact
    content: str = Field(min_length=1, max_length=MAX_TEXT)
    client_id: str | None = Field(None, max_length=64, description="Your id for the message; a retry is stored once.")


class ApiMessageCreated(BaseModel):
    conversation_id: uuid.UUID
    contact_id: uuid.UUID
    created: bool = Field(description="False when this client_id was already stored.")
    message: Message
