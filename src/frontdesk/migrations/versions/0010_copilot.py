"""copilot drafts and playground test cases

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.kit.models

revision: str = "0010"
down_revision: str | None = "0009"
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
        "copilot_drafts",
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("assistant_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("original", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("revisions", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("ai", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_message_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_copilot_drafts_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_copilot_drafts_message_id_messages"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_copilot_drafts_decided_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sent_message_id"],
            ["messages.id"],
            name=op.f("fk_copilot_drafts_sent_message_id_messages"),
            ondelete="SET NULL",
        ),
        _org_fk("copilot_drafts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_copilot_drafts")),
        sa.UniqueConstraint("conversation_id", "message_id", name=op.f("uq_copilot_drafts_conversation_id_message_id")),
    )
    with op.batch_alter_table("copilot_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_copilot_drafts_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_copilot_drafts_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(
            "ix_copilot_drafts_org_status_created", ["organization_id", "status", "created_at"], unique=False
        )

    op.create_table(
        "playground_cases",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("assistant_id", sa.Uuid(), nullable=True),
        sa.Column("turns", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("expected_intent", sa.String(length=100), nullable=True),
        sa.Column("expected_contains", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("expected_escalate", sa.Boolean(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_result", frontdesk.kit.models.JSONType, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_playground_cases_created_by_users"), ondelete="SET NULL"
        ),
        _org_fk("playground_cases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playground_cases")),
    )
    with op.batch_alter_table("playground_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_playground_cases_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "playground_runs",
        sa.Column("assistant_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("case_ids", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("results", frontdesk.kit.models.JSONType, nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("finished_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_playground_runs_created_by_users"), ondelete="SET NULL"
        ),
        _org_fk("playground_runs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playground_runs")),
    )
    with op.batch_alter_table("playground_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_playground_runs_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index("ix_playground_runs_org_created", ["organization_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("playground_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_playground_runs_org_created")
        batch_op.drop_index(batch_op.f("ix_playground_runs_organization_id"))
    op.drop_table("playground_runs")
    with op.batch_alter_table("playground_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_playground_cases_organization_id"))
    op.drop_table("playground_cases")
    with op.batch_alter_table("copilot_drafts", schema=None) as batch_op:
        batch_op.drop_index("ix_copilot_drafts_org_status_created")
        batch_op.drop_index(batch_op.f("ix_copilot_drafts_organization_id"))
        batch_op.drop_index(batch_op.f("ix_copilot_drafts_conversation_id"))
    op.drop_table("copilot_drafts")
