"""ai providers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 00:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.kit.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ai_providers",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("base_url", sa.String(length=2000), nullable=True),
        sa.Column("api_key_encrypted", sa.Text(), nullable=True),
        sa.Column("api_key_hint", sa.String(length=16), nullable=True),
        sa.Column("default_model", sa.String(length=120), nullable=False),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("options", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("updated_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ai_providers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_providers")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_ai_providers_organization_id_name")),
    )
    with op.batch_alter_table("ai_providers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ai_providers_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "ai_org_settings",
        sa.Column("monthly_budget_micros", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ai_org_settings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_org_settings")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_ai_org_settings_organization_id")),
    )
    with op.batch_alter_table("ai_org_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ai_org_settings_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "ai_usage",
        sa.Column("conversation_id", sa.Uuid(), nullable=True),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("provider", sa.String(length=80), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ai_usage_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_usage")),
    )
    with op.batch_alter_table("ai_usage", schema=None) as batch_op:
        batch_op.create_index("ix_ai_usage_org_day", ["organization_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_ai_usage_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ai_usage_message_id"), ["message_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ai_usage_organization_id"), ["organization_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ai_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_usage_organization_id"))
        batch_op.drop_index(batch_op.f("ix_ai_usage_message_id"))
        batch_op.drop_index(batch_op.f("ix_ai_usage_conversation_id"))
        batch_op.drop_index("ix_ai_usage_org_day")
    op.drop_table("ai_usage")
    with op.batch_alter_table("ai_org_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_org_settings_organization_id"))
    op.drop_table("ai_org_settings")
    with op.batch_alter_table("ai_providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_providers_organization_id"))
    op.drop_table("ai_providers")
