"""The staff assistant's questions and answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class StaffQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=2000)


class StaffAnswer(BaseModel):
    text: str
    blocks: list[dict[str, Any]] = Field(
        description='Tables (`{"type": "table", "title", "columns", "rows"}`) and charts '
        '(`{"type": "chart", "title", "labels", "series", "description", "svg"}`) to show with the text.'
    )
    role: str
    persona: str
    tools_used: list[str]
    model: str


class StaffPersona(BaseModel):
    role: str
    title: str
    intro: str
    examples: list[str]
