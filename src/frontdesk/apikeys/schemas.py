from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.kit.clock import UtcDateTime


class ApiKey(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str = Field(description="The public start of the key, to recognise it in lists.")
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1, max_length=64, description="Permissions the key carries.")
    expires_at: UtcDateTime | None = Field(None, description="When the key stops working; without a zone, UTC.")


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The whole key. It is shown this once and never again.")
