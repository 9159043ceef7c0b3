from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin


class Team(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")


class TeamMember(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class Inbox(Base, IdMixin, TimestampMixin, TenantMixin):
    """One channel instance with its own settings. ``public_token`` is what the widget snippet carries."""

    __tablename__ = "inboxes"

    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    public_token: Mapped[str] = mapped_column(String(64), unique=True)
    greeting: Mapped[str] = mapped_column(Text, default="")
    widget_color: Mapped[str] = mapped_column(String(9), default="#2563eb")
    widget_position: Mapped[str] = mapped_column(String(8), default="right")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # {"mon": [["09:00", "17:00"]], ...}; empty means always open.
    business_hours: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    out_of_office_message: Mapped[str] = mapped_column(Text, default="")
    assistant_enabled: Mapped[bool] = mapped_column(default=True)
    prechat_required: Mapped[bool] = mapped_column(default=False)
    prechat_fields: Mapped[list[str]] = mapped_column(JSONType, default=list)
    auto_assign: Mapped[bool] = mapped_column(default=True)
    max_open_per_agent: Mapped[int] = mapped_column(default=10)
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    csat_enabled: Mapped[bool] = mapped_column(default=True)
    require_identity: Mapped[bool] = mapped_column(default=False)
    # HMAC key for Frontdesk.setUser identity hashes, encrypted at rest.
    identity_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    allowed_origins: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Channel-specific configuration (WhatsApp numbers and tokens live here, encrypted).
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    copilot: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[datetime | None]
