"""Tables of the AI provider configuration: one row per configured provider, one settings row per org."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin


class AiProviderConfig(Base, IdMixin, TimestampMixin, TenantMixin):
    """A provider an organization may call; ``position`` orders the fallback chain (lowest first)."""

    __tablename__ = "ai_providers"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    base_url: Mapped[str | None] = mapped_column(String(2000))
    # Fernet ciphertext under the installation key; the hint is the last four characters, for people.
    api_key_encrypted: Mapped[str | None] = mapped_column(Text)
    api_key_hint: Mapped[str | None] = mapped_column(String(16))
    default_model: Mapped[str] = mapped_column(String(120), default="")
    timeout_seconds: Mapped[float] = mapped_column(default=30.0)
    max_retries: Mapped[int] = mapped_column(default=2)
    position: Mapped[int] = mapped_column(default=0)
    enabled: Mapped[bool] = mapped_column(default=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime | None]


class AiOrgSettings(Base, IdMixin, TenantMixin):
    """Organization-wide AI settings: the monthly budget, in millionths of a US dollar."""

    __tablename__ = "ai_org_settings"
    __table_args__ = (UniqueConstraint("organization_id"),)

    monthly_budget_micros: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime | None]
