"""Tables of the WhatsApp channel (and of the channel-generic outbox, registered from here)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.channels.outbox_models import OutboxItem
from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin

__all__ = ["OutboxItem", "WhatsAppDelivery", "WhatsAppNumber", "WhatsAppTemplate"]


class WhatsAppNumber(Base, IdMixin, TimestampMixin, TenantMixin):
    """Which inbox a business phone number id belongs to: the one webhook route routes by it."""

    __tablename__ = "whatsapp_numbers"

    phone_number_id: Mapped[str] = mapped_column(String(64), unique=True)
    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"), unique=True)


class WhatsAppDelivery(Base, IdMixin, TimestampMixin, TenantMixin):
    """One webhook POST as Meta sent it, stored before we answer 200; Meta's retries hit the unique key."""

    __tablename__ = "whatsapp_deliveries"
    __table_args__ = (UniqueConstraint("inbox_id", "external_id"),)

    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"))
    # SHA-256 of the raw body: Meta re-sends the same bytes, and sends no delivery id of its own.
    external_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="received")
    error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]


class WhatsAppTemplate(Base, IdMixin, TimestampMixin, TenantMixin):
    """A message template of the business account, as last synced from the Graph API."""

    __tablename__ = "whatsapp_templates"
    __table_args__ = (UniqueConstraint("inbox_id", "name", "language"),)

    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(30), default="")
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    synced_at: Mapped[datetime]
