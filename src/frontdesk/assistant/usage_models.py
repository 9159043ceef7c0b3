"""Token usage of every model call, the ground truth behind costs, daily figures and budgets."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, TenantMixin, TimestampMixin


class AiUsage(Base, IdMixin, TimestampMixin, TenantMixin):
    """One row per answered model request.

    Conversation and message ids carry no foreign key: playground runs and tests of a provider use
    ids that are not (or no longer) conversations, and their cost still counts against the budget.
    """

    __tablename__ = "ai_usage"
    __table_args__ = (Index("ix_ai_usage_org_day", "organization_id", "day"),)

    conversation_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    message_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    provider: Mapped[str] = mapped_column(String(80))
    model: Mapped[str] = mapped_column(String(120))
    requests: Mapped[int] = mapped_column(default=1)
    input_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    day: Mapped[date]
