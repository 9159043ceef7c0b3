from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.flows.graph import GraphIn


class Issue(BaseModel):
    node_id: str | None
    code: str
    message: str


class FlowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    graph: GraphIn | None = None
    inbox_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    allow_concurrent: bool = False


class FlowUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    graph: GraphIn | None = None
    inbox_ids: list[uuid.UUID] | None = Field(None, max_length=100)
    allow_concurrent: bool | None = None


class Flow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str
    draft: dict[str, Any]
    inbox_ids: list[str]
    allow_concurrent: bool
    published_version_id: uuid.UUID | None
    latest_number: int
    created_at: datetime
    updated_at: datetime | None
    issues: list[Issue] = Field(default_factory=list)


class FlowSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str
    published_version_id: uuid.UUID | None
    latest_number: int
    created_at: datetime
    updated_at: datetime | None


class PublishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=300)


class Version(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    flow_id: uuid.UUID
    number: int
    note: str
    graph: dict[str, Any]
    created_at: datetime
    created_by: uuid.UUID | None


class Validation(BaseModel):
    valid: bool
    issues: list[Issue]


class FlowExport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["frontdesk.flow"] = "frontdesk.flow"
    version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    allow_concurrent: bool = False
    graph: GraphIn


class Template(BaseModel):
    id: str
    name: str
    description: str
    shipped: bool
    graph: dict[str, Any]


class TemplateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flow_id: uuid.UUID
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str = Field("", max_length=2000)


class TemplateUse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)


class Step(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    node_id: str
    node_type: str
    input: dict[str, Any]
    output: dict[str, Any]
    port: str | None
    error: str | None
    duration_ms: float
    created_at: datetime


class Execution(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    flow_id: uuid.UUID
    version_id: uuid.UUID | None
    version_number: int
    test: bool = False
    contact_id: uuid.UUID | None
    conversation_id: uuid.UUID | None
    status: str
    current_node: str | None
    waiting_for: str | None
    wait_until: datetime | None
    state: dict[str, Any]
    steps: int
    trigger: dict[str, Any]
    error: str | None
    created_at: datetime
    updated_at: datetime | None
    finished_at: datetime | None


class ExecutionDetail(Execution):
    step_log: list[Step] = Field(default_factory=list)
    transcript: list[dict[str, Any]] = Field(default_factory=list)


class ExecutionStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: uuid.UUID
    conversation_id: uuid.UUID | None = None
    state: dict[str, Any] = Field(default_factory=dict)


class TestRunStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field("", max_length=4000)
    state: dict[str, Any] = Field(default_factory=dict)
    attributes: dict[str, Any] = Field(default_factory=dict)


class ExecutionInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


class TriggerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flow_id: uuid.UUID
    name: str = Field("", max_length=200)
    kind: Literal["keyword", "event", "schedule"]
    priority: int = Field(0, ge=-1000, le=1000)
    active: bool = True
    config: dict[str, Any] = Field(default_factory=dict)


class TriggerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    priority: int | None = Field(None, ge=-1000, le=1000)
    active: bool | None = None
    config: dict[str, Any] | None = None


class Trigger(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    flow_id: uuid.UUID
    name: str
    kind: str
    priority: int
    active: bool
    config: dict[str, Any]
    next_run_at: datetime | None
    fired_count: int
    started_count: int
    skipped_count: int
    last_fired_at: datetime | None
    created_at: datetime


class Firing(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    trigger_id: uuid.UUID
    contact_id: uuid.UUID | None
    execution_id: uuid.UUID | None
    outcome: str
    detail: str
    created_at: datetime


class TriggerTest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=4000)
    inbox_id: uuid.UUID | None = None


class TriggerTestResult(BaseModel):
    matched: Trigger | None
    candidates: list[uuid.UUID]


class NodeStats(BaseModel):
    node_id: str
    entered: int
    failed: int
    dropped: int


class VersionStats(BaseModel):
    version_number: int
    started: int
    completed: int
    failed: int
    cancelled: int
    active: int


class Analytics(BaseModel):
    flow_id: uuid.UUID
    started: int
    completed: int
    failed: int
    cancelled: int
    active: int
    completion_rate: float
    versions: list[VersionStats]
    nodes: list[NodeStats]
    dropped_at: dict[str, int]
