"""Aggregates, one row per (period, dimension, key, metric).

A long, narrow table: new metrics need no migration, and a dashboard reads a period's figures with one
indexed range scan. Durations are kept as histograms (``data``), so medians and 90th percentiles over
any range are computed from the aggregates without going back to the conversations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin


class StatRow(Base, IdMixin, TenantMixin):
    __tablename__ = "analytics_stats"
    __table_args__ = (
        UniqueConstraint(
            "organization_id",
            "granularity",
            "period_start",
            "dimension",
            "key",
            "metric",
            name="uq_analytics_stats_cell",
        ),
        Index("ix_analytics_stats_read", "organization_id", "granularity", "dimension", "period_start"),
    )

    granularity: Mapped[str] = mapped_column(String(5))  # "hour" or "day"
    # Hours start on the UTC hour; days at local midnight of the organization's time zone (as UTC).
    period_start: Mapped[datetime]
    dimension: Mapped[str] = mapped_column(String(12))  # org, inbox, channel, agent, assistant, flow
    key: Mapped[str] = mapped_column(String(64), default="")
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float, default=0.0)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    computed_at: Mapped[datetime]
