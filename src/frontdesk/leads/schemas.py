"""What the leads API reads and writes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.kit.clock import UtcDateTime

SOURCES = ("api", "assistant", "prechat", "flow", "extraction", "manual", "import")
Source = Literal["api", "assistant", "prechat", "flow", "extraction", "manual", "import"]
ExportFormat = Literal["xlsx", "csv"]


class LeadFieldsIn(BaseModel):
    """What a lead is told; every field optional. Invalid emails and phones are reported, not stored."""

    name: str | None = Field(None, max_length=1000)
    email: str | None = Field(None, max_length=1000)
    phone: str | None = Field(None, max_length=1000)
    company: str | None = Field(None, max_length=1000)
    need: str | None = Field(None, max_length=10_000)
    budget: str | None = Field(None, max_length=1000)
    timeframe: str | None = Field(None, max_length=1000)


class LeadCreate(LeadFieldsIn):
    contact_id: uuid.UUID | None = Field(
        None, description="The contact this lead is about; without it a contact is made from the fields."
    )
    conversation_id: uuid.UUID | None = None
    message_id: uuid.UUID | None = Field(None, description="The message the values came from.")
    source: Source = "api"
    status: str | None = Field(None, max_length=40)
    owner_id: uuid.UUID | None = None
    notes: str | None = Field(None, max_length=20_000)
    next_follow_up_at: UtcDateTime | None = None


class LeadUpdate(LeadFieldsIn):
    """Only the fields sent change; send ``null`` to clear owner or follow-up."""

    status: str | None = Field(None, max_length=40)
    owner_id: uuid.UUID | None = None
    score: int | None = Field(None, ge=0, le=100)
    notes: str | None = Field(None, max_length=20_000)
    next_follow_up_at: UtcDateTime | None = None


class Lead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contact_id: uuid.UUID
    conversation_id: uuid.UUID | None
    source_message_id: uuid.UUID | None
    source: str
    name: str | None
    email: str | None
    phone: str | None
    company: str | None
    need: str | None
    budget: str | None
    timeframe: str | None
    status: str
    owner_id: uuid.UUID | None
    owner_name: str | None = None
    score: int
    next_follow_up_at: datetime | None
    notes: str
    created_at: datetime
    updated_at: datetime | None
    rejected: dict[str, str] = Field(
        default_factory=dict, description="Values refused in this request, with why (never stored)."
    )


class LeadChange(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    field: str
    old_value: str | None
    new_value: str | None
    source: str
    message_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    created_at: datetime


class LeadDetail(Lead):
    history: list[LeadChange]


class FollowUp(Lead):
    overdue: bool


class StatusItem(BaseModel):
    key: str = Field(max_length=40)
    label: str = Field("", max_length=60)


class PipelineSettings(BaseModel):
    statuses: list[StatusItem]
    report_enabled: bool
    report_time: str = Field(description="HH:MM in the organization's time zone.")
    report_recipients: list[str]
    report_next_at: datetime | None = None
    follow_up_flow_event: bool
    timezone: str = "UTC"


class PipelineSettingsUpdate(BaseModel):
    statuses: list[StatusItem] | None = Field(None, max_length=20)
    renames: dict[str, str] | None = Field(
        None, description="old key -> new key: leads in a renamed or removed status move to the new one."
    )
    report_enabled: bool | None = None
    report_time: str | None = Field(None, max_length=5)
    report_recipients: list[str] | None = Field(None, max_length=20)
    follow_up_flow_event: bool | None = None


class ExportCreate(BaseModel):
    format: ExportFormat = "xlsx"
    statuses: list[str] = Field(default_factory=list, max_length=20)
    owner_id: uuid.UUID | None = None
    source: str | None = Field(None, max_length=20)
    q: str | None = Field(None, max_length=200)
    created_from: UtcDateTime | None = None
    created_to: UtcDateTime | None = None


class Export(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    format: str
    status: str
    total_rows: int
    done_rows: int
    progress: float = Field(description="0 to 1.")
    filename: str
    size_bytes: int
    error: str | None
    report_date: date | None
    created_at: datetime
    finished_at: datetime | None
    emailed_at: datetime | None
    download_url: str | None


class ExtractRequest(BaseModel):
    apply: bool = Field(True, description="Store what was found on the contact's lead (with history).")


class Extracted(BaseModel):
    fields: dict[str, str]
    source_message_ids: dict[str, uuid.UUID]
    method: Literal["rules", "llm"]
    lead: Lead | None
