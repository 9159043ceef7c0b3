"""Copilot drafts: what the assistant proposed, what people made of it, kept for quality review."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin

DRAFT_STATUSES = ("pending", "sent", "rejected", "superseded")


class CopilotDraft(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "copilot_drafts"
    __table_args__ = (
        # One draft per customer message: a retried job finds the draft it already wrote.
        UniqueConstraint("conversation_id", "message_id"),
        Index("ix_copilot_drafts_org_status_created", "organization_id", "status", "created_at"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    # The customer message the draft answers; None for a draft an agent asked for with no new message.
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    assistant_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(12), default="pending")
    # What the assistant first wrote, and what the text is now (after edits and revisions).
    original: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    # [{"instruction", "content", "by", "at"}]: every "revise with AI", in order.
    revisions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # intent, confidence, escalate, reason, sources, tool_calls, model, usage: as the answer carried them.
    ai: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    edited: Mapped[bool] = mapped_column(default=False)
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    sent_message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
