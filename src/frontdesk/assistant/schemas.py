from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from frontdesk.assistant.tools import TOOL_NAMES

ToolName = Literal[
    "search_knowledge",
    "capture_lead",
    "find_slots",
    "book_meeting",
    "escalate_to_human",
    "set_attribute",
    "add_label",
    "resolve_conversation",
    "transfer_to_assistant",
]
assert set(ToolName.__args__) == set(TOOL_NAMES)  # type: ignore[attr-defined]

Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
INSTRUCTIONS_MAX = 20_000


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field("", max_length=2000, description="What it is for; the router reads it.")
    instructions: str = Field("", max_length=INSTRUCTIONS_MAX, description="Persona and system instructions.")
    provider: str = Field("local", max_length=40, description="`local`, a provider kind, or a provider id.")
    model_name: str = Field("local", max_length=120)
    temperature: float = Field(0.2, ge=0, le=2)
    language: str = Field("en", min_length=2, max_length=16)
    confidence_threshold: float = Field(0.5, ge=0, le=1, description="Below it, the assistant escalates.")
    tools: list[ToolName] = Field(default_factory=list, description="Allowed tools; empty means all.")
    collection_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100, description="Empty: all.")
    inbox_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    routing_keywords: list[Keyword] = Field(default_factory=list, max_length=100)
    is_router: bool = False
    escalation_keywords: list[Keyword] = Field(default_factory=list, max_length=100)
    max_bot_turns: int = Field(8, ge=0, le=200, description="0: no limit.")
    max_frustration: int = Field(2, ge=1, le=20)
    enabled: bool = True


class AssistantCreate(_Fields):
    name: Name


class AssistantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: str | None = Field(None, max_length=2000)
    instructions: str | None = Field(None, max_length=INSTRUCTIONS_MAX)
    provider: str | None = Field(None, max_length=40)
    model_name: str | None = Field(None, max_length=120)
    temperature: float | None = Field(None, ge=0, le=2)
    language: str | None = Field(None, min_length=2, max_length=16)
    confidence_threshold: float | None = Field(None, ge=0, le=1)
    tools: list[ToolName] | None = None
    collection_ids: list[uuid.UUID] | None = Field(None, max_length=100)
    inbox_ids: list[uuid.UUID] | None = Field(None, max_length=100)
    routing_keywords: list[Keyword] | None = Field(None, max_length=100)
    is_router: bool | None = None
    escalation_keywords: list[Keyword] | None = Field(None, max_length=100)
    max_bot_turns: int | None = Field(None, ge=0, le=200)
    max_frustration: int | None = Field(None, ge=1, le=20)
    enabled: bool | None = None


class Assistant(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str
    instructions: str
    provider: str
    model_name: str
    temperature: float
    language: str
    confidence_threshold: float
    tools: list[str]
    collection_ids: list[str]
    inbox_ids: list[str]
    routing_keywords: list[str]
    is_router: bool
    escalation_keywords: list[str]
    max_bot_turns: int
    max_frustration: int
    enabled: bool
    created_at: datetime
    updated_at: datetime | None


class InstructionsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=INSTRUCTIONS_MAX)


class InstructionVersion(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    text: str
    created_by_name: str
    created_at: datetime
    restored_from: int | None


class InstructionLayer(BaseModel):
    scope: Literal["org", "assistant", "inbox"]
    target: str
    text: str
    versions: list[InstructionVersion]
