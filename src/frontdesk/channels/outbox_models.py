"""The durable outbox: one row per outbound message of a channel that delivers through a remote API."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, TenantMixin, TimestampMixin

PENDING, SENT, FAILED = "pending", "sent", "failed"


class OutboxItem(Base, IdMixin, TimestampMixin, TenantMixin):
    """Written in the transaction that stores the message; its state is the delivery's truth.

    ``lease_until`` marks the row a worker is sending right now; only the oldest unfinished row of a
    conversation is ever sent, so holding it holds the conversation and keeps messages in order.
    """

    __tablename__ = "outbox_items"
    __table_args__ = (Index("ix_outbox_items_conversation_status", "conversation_id", "status", "created_at"),)

    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    lease_token: Mapped[uuid.UUID | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None]
