"""assistant: assistants, versioned instruction layers, per-conversation assistant state

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 00:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.kit.models import JSONType, UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organization_id"],
        ["organizations.id"],
        name=op.f(f"fk_{table}_organization_id_organizations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "assistant_instruction_versions",
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("target", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_assistant_instruction_versions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        _org_fk("assistant_instruction_versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_instruction_versions")),
        sa.UniqueConstraint(
            "organization_id",
            "scope",
            "target",
            "version",
            name=op.f("uq_assistant_instruction_versions_organization_id_scope_target_version"),
        ),
    )
    with op.batch_alter_table("assistant_instruction_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assistant_instruction_versions_layer", ["organization_id", "scope", "target"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assistant_instruction_versions_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "assistants",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("model_name", sa.String(length=120), nullable=False),
        sa.Column("temperature", sa.Double(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("confidence_threshold", sa.Double(), nullable=False),
        sa.Column("tools", JSONType, nullable=False),
        sa.Column("collection_ids", JSONType, nullable=False),
        sa.Column("inbox_ids", JSONType, nullable=False),
        sa.Column("routing_keywords", JSONType, nullable=False),
        sa.Column("is_router", sa.Boolean(), nullable=False),
        sa.Column("escalation_keywords", JSONType, nullable=False),
        sa.Column("max_bot_turns", sa.Integer(), nullable=False),
        sa.Column("max_frustration", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        _org_fk("assistants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistants")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_assistants_organization_id_name")),
    )
    with op.batch_alter_table("assistants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assistants_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "assistant_conversation_states",
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("assistant_id", sa.Uuid(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("summarized_count", sa.Integer(), nullable=False),
        sa.Column("bot_turns", sa.Integer(), nullable=False),
        sa.Column("frustration", sa.Integer(), nullable=False),
        sa.Column("extra", JSONType, nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["assistants.id"],
            name=op.f("fk_assistant_conversation_states_assistant_id_assistants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_assistant_conversation_states_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        _org_fk("assistant_conversation_states"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_conversation_states")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_assistant_conversation_states_conversation_id")),
    )
    with op.batch_alter_table("assistant_conversation_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assistant_conversation_states_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assistant_conversation_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assistant_conversation_states_organization_id"))
    op.drop_table("assistant_conversation_states")
    with op.batch_alter_table("assistants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assistants_organization_id"))
    op.drop_table("assistants")
    with op.batch_alter_table("assistant_instruction_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assistant_instruction_versions_organization_id"))
        batch_op.drop_index("ix_assistant_instruction_versions_layer")
    op.drop_table("assistant_instruction_versions")
