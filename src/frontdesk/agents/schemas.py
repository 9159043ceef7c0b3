from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AgentPresence(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str
    role: str
    status: Literal["online", "offline"] = Field(
        description="`online` only while heartbeats arrive; an agent whose heartbeats stopped shows offline at once."
    )
    availability: Literal["available", "busy"]
    last_heartbeat_at: datetime | None
    changed_at: datetime | None
    open_conversations: int


class MyPresence(BaseModel):
    user_id: uuid.UUID
    status: Literal["online", "offline"]
    availability: Literal["available", "busy"]
    last_heartbeat_at: datetime | None
    changed_at: datetime | None
    heartbeat_seconds: int = Field(description="Send a heartbeat at least this often to stay online.")


class PresenceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["online", "offline"] | None = None
    availability: Literal["available", "busy"] | None = Field(
        None, description="`busy` agents stay online (and paid) but get no automatic assignments."
    )


class Shift(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    started_at: datetime
    ended_at: datetime | None
    last_heartbeat_at: datetime
    end_reason: str | None = Field(description="`offline`, `disconnected`, `missed_heartbeat`, or null while open.")
    seconds: float


class WorkingDay(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str
    date: date
    seconds: int
    hours: float


class AgentTotal(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str
    seconds: int
    hours: float


class WorkingHours(BaseModel):
    timezone: str
    from_date: date = Field(serialization_alias="from")
    to_date: date = Field(serialization_alias="to")
    days: list[WorkingDay]
    totals: list[AgentTotal]
