from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Webhook(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    events: list[str]
    active: bool
    description: str
    created_at: datetime


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, description="An http(s) URL that accepts POSTed JSON.")
    events: list[str] = Field(min_length=1, max_length=50, description="The events to send; see GET /events.")
    description: str = Field("", max_length=300)
    active: bool = True


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, min_length=1, max_length=2000)
    events: list[str] | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=300)
    active: bool | None = None


class WebhookSecret(BaseModel):
    secret: str = Field(description="Signs every delivery (X-Frontdesk-Signature). Shown this once.")


class WebhookCreated(Webhook, WebhookSecret):
    pass


DeliveryStatus = Literal["pending", "retrying", "delivered", "failed"]


class Delivery(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subscription_id: uuid.UUID
    event: str
    status: str = Field(description="pending, retrying, delivered or failed.")
    attempts: int
    response_status: int | None
    response_body: str | None = Field(description="The start of the receiver's answer (at most 2000 characters).")
    error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any] = Field(description="The JSON body that is (or was) sent.")


class EventList(BaseModel):
    events: list[str]
