from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin


class Message(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_created", "conversation_id", "created_at", "id"),
        Index("ix_messages_org_created", "organization_id", "created_at"),
        UniqueConstraint("conversation_id", "client_id"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(4))
    sender_type: Mapped[str] = mapped_column(String(10))
    sender_id: Mapped[uuid.UUID | None]
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    content_type: Mapped[str] = mapped_column(String(12), default="text")
    content: Mapped[str] = mapped_column(Text, default="")
    # Choices, cards, quoted replies, locations: whatever the content type carries beyond text.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    private: Mapped[bool] = mapped_column(default=False)
    delivery_status: Mapped[str] = mapped_column(String(10), default="sent")
    delivery_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    # The sender's own id for the message, so a retried send is stored once.
    client_id: Mapped[str | None] = mapped_column(String(64))
    ai: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
