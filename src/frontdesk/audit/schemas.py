from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.kit.clock import UtcDateTime


class AuditEvent(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organization_id: uuid.UUID | None
    actor_type: str
    actor_id: uuid.UUID | None
    actor_label: str
    action: str
    target_type: str | None
    target_id: str | None
    ip: str | None
    details: dict[str, Any]
    created_at: datetime


class AuditFilter(BaseModel):
    action: str | None = Field(None, max_length=80, description="Exact action, or a prefix ending in '.'")
    actor: str | None = Field(None, max_length=320, description="Part of the actor's email or key name")
    target_type: str | None = Field(None, max_length=40)
    since: UtcDateTime | None = None
    until: UtcDateTime | None = None
