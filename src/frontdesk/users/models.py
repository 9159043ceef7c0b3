from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, TimestampMixin


class User(Base, IdMixin, TimestampMixin):
    """A person. Users are not tenant rows: one person can belong to several organizations."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    is_operator: Mapped[bool] = mapped_column(default=False)
    external_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
