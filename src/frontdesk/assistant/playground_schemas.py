"""The playground's simulated exchanges, saved test cases and batch runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TURNS = 60
MAX_TURN_TEXT = 4000


class PlayTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["customer", "assistant"]
    text: str = Field(max_length=MAX_TURN_TEXT)
    ai: dict[str, Any] | None = Field(None, description="How the assistant answered (assistant turns only).")


class PlayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assistant_id: uuid.UUID | None = Field(None, description="Empty: the organization's default assistant.")
    turns: list[PlayTurn] = Field(min_length=1, max_length=MAX_TURNS)
    rerun_from: int | None = Field(
        None,
        ge=0,
        description="Answer again every customer turn from this index on (after an edit or a deletion). "
        "Empty: only answer the last turn when it is the customer's.",
    )


class PlayResult(BaseModel):
    assistant_id: uuid.UUID | None
    assistant_name: str
    turns: list[PlayTurn]


class CaseFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assistant_id: uuid.UUID | None = None
    turns: list[PlayTurn] = Field(min_length=1, max_length=MAX_TURNS)
    expected_intent: str | None = Field(None, max_length=100)
    expected_contains: list[str] = Field(default_factory=list, max_length=20)
    expected_escalate: bool | None = None


class CaseCreate(CaseFields):
    name: str = Field(min_length=1, max_length=200)


class CaseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    assistant_id: uuid.UUID | None = None
    turns: list[PlayTurn] | None = Field(None, min_length=1, max_length=MAX_TURNS)
    expected_intent: str | None = Field(None, max_length=100)
    expected_contains: list[str] | None = Field(None, max_length=20)
    expected_escalate: bool | None = None


class Case(BaseModel):
    id: uuid.UUID
    name: str
    assistant_id: uuid.UUID | None
    turns: list[PlayTurn]
    expected_intent: str | None
    expected_contains: list[str]
    expected_escalate: bool | None
    last_result: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime | None


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assistant_id: uuid.UUID | None = Field(None, description="Run every case against this assistant.")
    case_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000, description="Empty: every case.")


class Run(BaseModel):
    id: uuid.UUID
    assistant_id: uuid.UUID | None
    status: Literal["queued", "running", "done", "failed"]
    total: int
    done: int
    passed: int
    failed: int
    results: list[dict[str, Any]]
    error: str
    created_at: datetime
    finished_at: datetime | None


class ImportReport(BaseModel):
    created: int
    errors: list[dict[str, Any]] = Field(description="One entry per case or row that could not be imported.")
    cases: list[Case]
