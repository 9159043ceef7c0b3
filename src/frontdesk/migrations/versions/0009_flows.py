"""flows

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 00:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.kit.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_attribute_definitions",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_contact_attribute_definitions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_attribute_definitions")),
        sa.UniqueConstraint(
            "organization_id", "key", name=op.f("uq_contact_attribute_definitions_organization_id_key")
        ),
    )
    with op.batch_alter_table("contact_attribute_definitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_attribute_definitions_organization_id"), ["organization_id"], unique=False
        )
    op.create_table(
        "flows",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("draft", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("inbox_ids", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("allow_concurrent", sa.Boolean(), nullable=False),
        sa.Column("published_version_id", sa.Uuid(), nullable=True),
        sa.Column("latest_number", sa.Integer(), nullable=False),
        sa.Column("updated_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_flows_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flows")),
    )
    with op.batch_alter_table("flows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flows_organization_id"), ["organization_id"], unique=False)
    op.create_table(
        "flow_templates",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("graph", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_flow_templates_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_templates")),
    )
    with op.batch_alter_table("flow_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow_templates_organization_id"), ["organization_id"], unique=False)
    op.create_table(
        "flow_versions",
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("graph", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flows.id"], name=op.f("fk_flow_versions_flow_id_flows"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_flow_versions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_versions")),
        sa.UniqueConstraint("flow_id", "number", name=op.f("uq_flow_versions_flow_id_number")),
    )
    with op.batch_alter_table("flow_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow_versions_flow_id"), ["flow_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_versions_organization_id"), ["organization_id"], unique=False)
    op.create_table(
        "flow_triggers",
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("config", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("next_run_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fired_count", sa.Integer(), nullable=False),
        sa.Column("started_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("last_fired_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flows.id"], name=op.f("fk_flow_triggers_flow_id_flows"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_flow_triggers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_triggers")),
    )
    with op.batch_alter_table("flow_triggers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow_triggers_flow_id"), ["flow_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_triggers_next_run_at"), ["next_run_at"], unique=False)
        batch_op.create_index("ix_flow_triggers_org_kind_active", ["organization_id", "kind", "active"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_triggers_organization_id"), ["organization_id"], unique=False)
    op.create_table(
        "flow_executions",
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=True),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("test_graph", frontdesk.kit.models.JSONType, nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("conversation_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("current_node", sa.String(length=80), nullable=True),
        sa.Column("waiting_for", sa.String(length=10), nullable=True),
        sa.Column("wait_until", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pending_input", sa.Text(), nullable=True),
        sa.Column("state", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("trigger", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("transcript", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("finished_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_flow_executions_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_flow_executions_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flows.id"], name=op.f("fk_flow_executions_flow_id_flows"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_flow_executions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["flow_versions.id"],
            name=op.f("fk_flow_executions_version_id_flow_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_executions")),
    )
    with op.batch_alter_table("flow_executions", schema=None) as batch_op:
        batch_op.create_index("ix_flow_executions_contact_waiting", ["contact_id", "waiting_for"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_executions_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(
            "ix_flow_executions_flow_contact_status", ["flow_id", "contact_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_flow_executions_flow_id"), ["flow_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_executions_organization_id"), ["organization_id"], unique=False)
    op.create_table(
        "flow_steps",
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=80), nullable=False),
        sa.Column("node_type", sa.String(length=30), nullable=False),
        sa.Column("input", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("output", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("port", sa.String(length=30), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Double(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["flow_executions.id"],
            name=op.f("fk_flow_steps_execution_id_flow_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_flow_steps_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_steps")),
    )
    with op.batch_alter_table("flow_steps", schema=None) as batch_op:
        batch_op.create_index("ix_flow_steps_execution_seq", ["execution_id", "seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_steps_organization_id"), ["organization_id"], unique=False)
    op.create_table(
        "flow_trigger_firings",
        sa.Column("trigger_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("execution_id", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_flow_trigger_firings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trigger_id"],
            ["flow_triggers.id"],
            name=op.f("fk_flow_trigger_firings_trigger_id_flow_triggers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_trigger_firings")),
    )
    with op.batch_alter_table("flow_trigger_firings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow_trigger_firings_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index("ix_flow_trigger_firings_trigger_created", ["trigger_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flow_trigger_firings", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_trigger_firings_trigger_created")
        batch_op.drop_index(batch_op.f("ix_flow_trigger_firings_organization_id"))
    op.drop_table("flow_trigger_firings")
    with op.batch_alter_table("flow_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_steps_organization_id"))
        batch_op.drop_index("ix_flow_steps_execution_seq")
    op.drop_table("flow_steps")
    with op.batch_alter_table("flow_executions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_executions_organization_id"))
        batch_op.drop_index(batch_op.f("ix_flow_executions_flow_id"))
        batch_op.drop_index("ix_flow_executions_flow_contact_status")
        batch_op.drop_index(batch_op.f("ix_flow_executions_conversation_id"))
        batch_op.drop_index("ix_flow_executions_contact_waiting")
    op.drop_table("flow_executions")
    with op.batch_alter_table("flow_triggers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_triggers_organization_id"))
        batch_op.drop_index("ix_flow_triggers_org_kind_active")
        batch_op.drop_index(batch_op.f("ix_flow_triggers_next_run_at"))
        batch_op.drop_index(batch_op.f("ix_flow_triggers_flow_id"))
    op.drop_table("flow_triggers")
    with op.batch_alter_table("flow_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_versions_organization_id"))
        batch_op.drop_index(batch_op.f("ix_flow_versions_flow_id"))
    op.drop_table("flow_versions")
    with op.batch_alter_table("flow_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_templates_organization_id"))
    op.drop_table("flow_templates")
    with op.batch_alter_table("flows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flows_organization_id"))
    op.drop_table("flows")
    with op.batch_alter_table("contact_attribute_definitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_attribute_definitions_organization_id"))
    op.drop_table("contact_attribute_definitions")
    # ### end Alembic commands ###
