"""leads

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 00:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import frontdesk.kit.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_settings",
        sa.Column(
            "statuses", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("report_enabled", sa.Boolean(), nullable=False),
        sa.Column("report_time", sa.String(length=5), nullable=False),
        sa.Column(
            "report_recipients",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("report_next_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("follow_up_flow_event", sa.Boolean(), nullable=False),
        sa.Column("updated_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_lead_settings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_settings")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_lead_settings_organization_id")),
    )
    with op.batch_alter_table("lead_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_settings_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "leads",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=True),
        sa.Column("source_message_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("need", sa.Text(), nullable=True),
        sa.Column("budget", sa.String(length=200), nullable=True),
        sa.Column("timeframe", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("score_auto", sa.Boolean(), nullable=False),
        sa.Column("next_follow_up_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("follow_up_notified_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("updated_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_leads_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_leads_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_leads_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_leads_owner_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["source_message_id"],
            ["messages.id"],
            name=op.f("fk_leads_source_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("organization_id", "contact_id", name=op.f("uq_leads_organization_id_contact_id")),
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index("ix_leads_followup", ["next_follow_up_at"], unique=False)
        batch_op.create_index("ix_leads_org_created", ["organization_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_leads_org_status", ["organization_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "lead_changes",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_lead_changes_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_changes_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_lead_changes_message_id_messages"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_lead_changes_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_changes")),
    )
    with op.batch_alter_table("lead_changes", schema=None) as batch_op:
        batch_op.create_index("ix_lead_changes_lead_created", ["lead_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_changes_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "lead_exports",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("format", sa.String(length=4), nullable=False),
        sa.Column(
            "filters", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("done_rows", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("report_date", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("finished_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_lead_exports_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_lead_exports_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_exports")),
    )
    with op.batch_alter_table("lead_exports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lead_exports_org_kind_created", ["organization_id", "kind", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_lead_exports_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "conversation_retention",
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_conversation_retention_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_retention")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_conversation_retention_organization_id")),
    )
    with op.batch_alter_table("conversation_retention", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_retention_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "conversation_purges",
        sa.Column("cutoff", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_by", sa.Uuid(), nullable=True),
        sa.Column("finished_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_conversation_purges_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by"], ["users.id"], name=op.f("fk_conversation_purges_started_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_purges")),
    )
    with op.batch_alter_table("conversation_purges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_purges_organization_id"), ["organization_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conversation_purges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_purges_organization_id"))

    op.drop_table("conversation_purges")
    with op.batch_alter_table("conversation_retention", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_retention_organization_id"))

    op.drop_table("conversation_retention")
    with op.batch_alter_table("lead_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_exports_organization_id"))
        batch_op.drop_index("ix_lead_exports_org_kind_created")

    op.drop_table("lead_exports")
    with op.batch_alter_table("lead_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_changes_organization_id"))
        batch_op.drop_index("ix_lead_changes_lead_created")

    op.drop_table("lead_changes")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_owner_id"))
        batch_op.drop_index(batch_op.f("ix_leads_organization_id"))
        batch_op.drop_index("ix_leads_org_status")
        batch_op.drop_index("ix_leads_org_created")
        batch_op.drop_index("ix_leads_followup")
        batch_op.drop_index(batch_op.f("ix_leads_contact_id"))

    op.drop_table("leads")
    with op.batch_alter_table("lead_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_settings_organization_id"))

    op.drop_table("lead_settings")
