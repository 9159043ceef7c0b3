"""Notification rows, per-person preferences per kind, and per-person settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin


class Notification(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_org_created", "user_id", "organization_id", "created_at"),
        # The digest job looks for what it still has to mail.
        Index("ix_notifications_digest", "digest_pending", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    read_at: Mapped[datetime | None]
    digest_pending: Mapped[bool] = mapped_column(default=False)


class NotificationPreference(Base, IdMixin, TenantMixin):
    """Only what a person changed is stored; everything else follows the role's defaults."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("organization_id", "user_id", "kind"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    in_app: Mapped[bool]
    email: Mapped[str] = mapped_column(String(10))
    browser: Mapped[bool]


class NotificationSettings(Base, IdMixin, TenantMixin):
    __tablename__ = "notification_settings"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sound: Mapped[bool] = mapped_column(default=False)
    # Local hour (organization's time zone) at which the daily digest goes out.
    digest_hour: Mapped[int] = mapped_column(default=8)
