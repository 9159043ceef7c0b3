from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin


class Conversation(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_org_status_activity", "organization_id", "status", "last_activity_at"),
        Index("ix_conversations_org_assignee", "organization_id", "assignee_id"),
    )

    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="bot")
    mode: Mapped[str] = mapped_column(String(10), default="ai")
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    labels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    priority: Mapped[str] = mapped_column(String(8), default="none")
    snoozed_until: Mapped[datetime | None]
    escalation_reason: Mapped[str | None] = mapped_column(Text)
    escalated_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
    contact_last_seen_at: Mapped[datetime | None]
    # Set by an agent: "special instructions for this client", layered into the assistant's prompt.
    instructions: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(300), default="")


class ConversationRead(Base, IdMixin, TenantMixin):
    """How far each agent has read, for unread counts."""

    __tablename__ = "conversation_reads"
    __table_args__ = (UniqueConstraint("conversation_id", "user_id"),)

    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    last_read_at: Mapped[datetime]


class CannedResponse(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "canned_responses"
    __table_args__ = (UniqueConstraint("organization_id", "shortcut"),)

    shortcut: Mapped[str] = mapped_column(String(60))
    content: Mapped[str] = mapped_column(Text)


class CsatRating(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "csat_ratings"
    __table_args__ = (UniqueConstraint("conversation_id"),)

    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
