"""analytics aggregates

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.kit.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_stats",
        sa.Column("granularity", sa.String(length=5), nullable=False),
        sa.Column("period_start", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dimension", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("data", frontdesk.kit.models.JSONType, nullable=True),
        sa.Column("computed_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_analytics_stats_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_stats")),
        sa.UniqueConstraint(
            "organization_id",
            "granularity",
            "period_start",
            "dimension",
            "key",
            "metric",
            name="uq_analytics_stats_cell",
        ),
    )
    op.create_index(
        "ix_analytics_stats_read",
        "analytics_stats",
        ["organization_id", "granularity", "dimension", "period_start"],
        unique=False,
    )
    op.create_index(op.f("ix_analytics_stats_organization_id"), "analytics_stats", ["organization_id"], unique=False)


def downgrade() -> None:
    op.drop_table("analytics_stats")
