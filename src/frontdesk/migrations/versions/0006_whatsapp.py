"""whatsapp channel and the durable outbox

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 00:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import frontdesk.kit.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_deliveries",
        sa.Column("inbox_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("processed_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_whatsapp_deliveries_inbox_id_inboxes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_whatsapp_deliveries_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_deliveries")),
        sa.UniqueConstraint("inbox_id", "external_id", name=op.f("uq_whatsapp_deliveries_inbox_id_external_id")),
    )
    op.create_index(
        op.f("ix_whatsapp_deliveries_organization_id"), "whatsapp_deliveries", ["organization_id"], unique=False
    )
    op.create_table(
        "whatsapp_numbers",
        sa.Column("phone_number_id", sa.String(length=64), nullable=False),
        sa.Column("inbox_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_whatsapp_numbers_inbox_id_inboxes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_whatsapp_numbers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_numbers")),
        sa.UniqueConstraint("inbox_id", name=op.f("uq_whatsapp_numbers_inbox_id")),
        sa.UniqueConstraint("phone_number_id", name=op.f("uq_whatsapp_numbers_phone_number_id")),
    )
    op.create_index(op.f("ix_whatsapp_numbers_organization_id"), "whatsapp_numbers", ["organization_id"], unique=False)
    op.create_table(
        "whatsapp_templates",
        sa.Column("inbox_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column(
            "components", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("synced_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_whatsapp_templates_inbox_id_inboxes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_whatsapp_templates_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_templates")),
        sa.UniqueConstraint("inbox_id", "name", "language", name=op.f("uq_whatsapp_templates_inbox_id_name_language")),
    )
    op.create_index(op.f("ix_whatsapp_templates_inbox_id"), "whatsapp_templates", ["inbox_id"], unique=False)
    op.create_index(
        op.f("ix_whatsapp_templates_organization_id"), "whatsapp_templates", ["organization_id"], unique=False
    )
    op.create_table(
        "outbox_items",
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("inbox_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.Uuid(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("sent_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_outbox_items_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inbox_id"], ["inboxes.id"], name=op.f("fk_outbox_items_inbox_id_inboxes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_outbox_items_message_id_messages"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_outbox_items_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_items")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_items_idempotency_key")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_items_message_id")),
    )
    op.create_index(
        "ix_outbox_items_conversation_status", "outbox_items", ["conversation_id", "status", "created_at"], unique=False
    )
    op.create_index(op.f("ix_outbox_items_inbox_id"), "outbox_items", ["inbox_id"], unique=False)
    op.create_index(op.f("ix_outbox_items_organization_id"), "outbox_items", ["organization_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_items_organization_id"), table_name="outbox_items")
    op.drop_index(op.f("ix_outbox_items_inbox_id"), table_name="outbox_items")
    op.drop_index("ix_outbox_items_conversation_status", table_name="outbox_items")
    op.drop_table("outbox_items")
    op.drop_index(op.f("ix_whatsapp_templates_organization_id"), table_name="whatsapp_templates")
    op.drop_index(op.f("ix_whatsapp_templates_inbox_id"), table_name="whatsapp_templates")
    op.drop_table("whatsapp_templates")
    op.drop_index(op.f("ix_whatsapp_numbers_organization_id"), table_name="whatsapp_numbers")
    op.drop_table("whatsapp_numbers")
    op.drop_index(op.f("ix_whatsapp_deliveries_organization_id"), table_name="whatsapp_deliveries")
    op.drop_table("whatsapp_deliveries")
