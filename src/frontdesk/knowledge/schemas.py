from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TAGS = 30
MAX_QUESTIONS = 200
MAX_BODY = 100_000


class Collection(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    article_count: int = 0


class CollectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)


class CollectionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)


class Article(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    collection_id: uuid.UUID
    title: str
    body: str = Field(description="Markdown.")
    tags: list[str]
    source_url: str | None
    example_questions: list[str] = Field(description="Questions customers ask that this article answers.")
    created_at: datetime
    updated_at: datetime
    updated_by: str


class ArticleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    collection_id: uuid.UUID
    title: str = Field(min_length=1, max_length=300)
    body: str = Field("", max_length=MAX_BODY, description="Markdown.")
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)
    source_url: str | None = Field(None, max_length=2000)
    example_questions: list[str] = Field(default_factory=list, max_length=MAX_QUESTIONS)


class ArticleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    collection_id: uuid.UUID | None = None
    title: str | None = Field(None, min_length=1, max_length=300)
    body: str | None = Field(None, max_length=MAX_BODY)
    tags: list[str] | None = Field(None, max_length=MAX_TAGS)
    source_url: str | None = Field(None, max_length=2000)
    example_questions: list[str] | None = Field(None, max_length=MAX_QUESTIONS)


class SearchHit(BaseModel):
    article_id: uuid.UUID
    collection_id: uuid.UUID
    title: str
    snippet: str
    score: float
    tags: list[str]
    example_questions: list[str]
    source_url: str | None


class SearchResult(BaseModel):
    query: str
    hits: list[SearchHit]


ImportStatus = Literal["pending", "running", "done", "failed"]


class ImportError_(BaseModel):
    file: str | None = Field(None, description="The file inside a zip, or null for a single file.")
    row: int = Field(description="CSV: the spreadsheet row (the header is row 1); JSON: the item, from 1.")
    field: str | None
    message: str


class Import(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    collection_id: uuid.UUID | None
    filename: str
    format: str
    status: str = Field(description="pending, running, done or failed.")
    total: int
    done: int
    created_count: int
    updated_count: int
    failed_count: int
    errors: list[ImportError_]
    failure: str | None
    created_by: str
    created_at: datetime
    finished_at: datetime | None
