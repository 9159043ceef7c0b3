from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, TenantMixin, TimestampMixin

ACTIVE, SUSPENDED = "active", "suspended"


class Organization(Base, IdMixin, TimestampMixin):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Links the organization to a host application's tenant when external identity is on.
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Operators read conversation content only while an owner's grant runs.
    operator_access_until: Mapped[datetime | None]
    quota_hourly: Mapped[int | None]
    quota_daily: Mapped[int | None]
    suspended_at: Mapped[datetime | None]


class Membership(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
