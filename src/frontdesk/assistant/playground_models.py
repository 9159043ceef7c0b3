"""Playground test cases and their batch runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin


class PlaygroundCase(Base, IdMixin, TimestampMixin, TenantMixin):
    """A simulated exchange and what the assistant's last answer in it should be."""

    __tablename__ = "playground_cases"

    name: Mapped[str] = mapped_column(String(200))
    # Which assistant the case is about; None runs it against whichever assistant the batch names.
    assistant_id: Mapped[uuid.UUID | None]
    # [{"role": "customer" | "assistant", "text": ...}]; the last customer turn is the one judged.
    turns: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    expected_intent: Mapped[str | None] = mapped_column(String(100))
    expected_contains: Mapped[list[str]] = mapped_column(JSONType, default=list)
    expected_escalate: Mapped[bool | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None]
    last_result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class PlaygroundRun(Base, IdMixin, TimestampMixin, TenantMixin):
    """One batch run of saved cases: progress while it runs, the pass/fail report when done."""

    __tablename__ = "playground_runs"
    __table_args__ = (Index("ix_playground_runs_org_created", "organization_id", "created_at"),)

    assistant_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(10), default="queued")
    case_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    passed: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    finished_at: Mapped[datetime | None]
