from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, TenantMixin, TimestampMixin


class AgentPresence(Base, IdMixin, TenantMixin):
    """The agent's current state in one organization. Shifts are the history."""

    __tablename__ = "agent_presence"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="offline")
    availability: Mapped[str] = mapped_column(String(10), default="available")
    last_heartbeat_at: Mapped[datetime | None]
    changed_at: Mapped[datetime | None]
    # Round-robin position: the agent who got a conversation longest ago goes next.
    last_assigned_at: Mapped[datetime | None]


class Shift(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "shifts"
    __table_args__ = (Index("ix_shifts_org_user_started", "organization_id", "user_id", "started_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    last_heartbeat_at: Mapped[datetime]
    end_reason: Mapped[str | None] = mapped_column(String(20))
