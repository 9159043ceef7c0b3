"""scheduling: availability, meeting types, bookings, slot claims, calendars, feeds, invitations

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 00:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import frontdesk.kit.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduling_availability",
        sa.Column("owner_key", sa.String(length=40), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column(
            "weekly_hours",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "exceptions", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("updated_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_scheduling_availability_agent_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_scheduling_availability_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduling_availability")),
        sa.UniqueConstraint(
            "organization_id", "owner_key", name=op.f("uq_scheduling_availability_organization_id_owner_key")
        ),
    )
    with op.batch_alter_table("scheduling_availability", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduling_availability_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "scheduling_calendar_connections",
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "config", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("secret_encrypted", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("oauth_state_hash", sa.String(length=64), nullable=True),
        sa.Column("oauth_state_expires_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_synced_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["users.id"],
            name=op.f("fk_scheduling_calendar_connections_agent_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_scheduling_calendar_connections_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduling_calendar_connections")),
    )
    with op.batch_alter_table("scheduling_calendar_connections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scheduling_calendar_connections_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_scheduling_calendar_connections_oauth_state_hash"), ["oauth_state_hash"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_scheduling_calendar_connections_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "scheduling_calendar_feeds",
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_scheduling_calendar_feeds_agent_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_scheduling_calendar_feeds_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduling_calendar_feeds")),
        sa.UniqueConstraint(
            "organization_id", "agent_id", name=op.f("uq_scheduling_calendar_feeds_organization_id_agent_id")
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_scheduling_calendar_feeds_token_hash")),
    )
    with op.batch_alter_table("scheduling_calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduling_calendar_feeds_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "scheduling_meeting_types",
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_before_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("max_days_ahead", sa.Integer(), nullable=False),
        sa.Column("slot_step_minutes", sa.Integer(), nullable=False),
        sa.Column("location_kind", sa.String(length=16), nullable=False),
        sa.Column("location_value", sa.String(length=500), nullable=False),
        sa.Column(
            "agent_ids", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "reminder_minutes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_scheduling_meeting_types_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduling_meeting_types")),
        sa.UniqueConstraint("organization_id", "slug", name=op.f("uq_scheduling_meeting_types_organization_id_slug")),
    )
    with op.batch_alter_table("scheduling_meeting_types", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduling_meeting_types_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "scheduling_invitation_attachments",
        sa.Column("mail_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("ics", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mail_id"],
            ["mail_messages.id"],
            name=op.f("fk_scheduling_invitation_attachments_mail_id_mail_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_scheduling_invitation_attachments_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduling_invitation_attachments")),
        sa.UniqueConstraint("mail_id", name=op.f("uq_scheduling_invitation_attachments_mail_id")),
    )
    with op.batch_alter_table("scheduling_invitation_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduling_invitation_attachments_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "scheduling_bookings",
        sa.Column("meeting_type_id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("host_key", sa.String(length=40), nullable=False),
        sa.Column("start_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("conversation_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("cancelled_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_scheduling_bookings_agent_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_scheduling_bookings_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_scheduling_bookings_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_type_id"],
            ["scheduling_meeting_types.id"],
            name=op.f("fk_scheduling_bookings_meeting_type_id_scheduling_meeting_types"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_scheduling_bookings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduling_bookings")),
    )
    with op.batch_alter_table("scheduling_bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scheduling_bookings_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_scheduling_bookings_meeting_type_id"), ["meeting_type_id"], unique=False)
        batch_op.create_index("ix_scheduling_bookings_org_start", ["organization_id", "start_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_scheduling_bookings_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "scheduling_booking_claims",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("host_key", sa.String(length=80), nullable=False),
        sa.Column("grain_at", frontdesk.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["scheduling_bookings.id"],
            name=op.f("fk_scheduling_booking_claims_booking_id_scheduling_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_scheduling_booking_claims_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduling_booking_claims")),
        sa.UniqueConstraint("host_key", "grain_at", name=op.f("uq_scheduling_booking_claims_host_key_grain_at")),
    )
    with op.batch_alter_table("scheduling_booking_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scheduling_booking_claims_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_scheduling_booking_claims_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "scheduling_booking_events",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=500), nullable=True),
        sa.Column("synced_sequence", sa.Integer(), nullable=False),
        sa.Column("conference_url", sa.String(length=500), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["scheduling_bookings.id"],
            name=op.f("fk_scheduling_booking_events_booking_id_scheduling_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["scheduling_calendar_connections.id"],
            name=op.f("fk_scheduling_booking_events_connection_id_scheduling_calendar_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_scheduling_booking_events_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduling_booking_events")),
        sa.UniqueConstraint(
            "booking_id", "connection_id", name=op.f("uq_scheduling_booking_events_booking_id_connection_id")
        ),
    )
    with op.batch_alter_table("scheduling_booking_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scheduling_booking_events_connection_id"), ["connection_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_scheduling_booking_events_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("scheduling_booking_events")
    op.drop_table("scheduling_booking_claims")
    op.drop_table("scheduling_bookings")
    op.drop_table("scheduling_invitation_attachments")
    op.drop_table("scheduling_meeting_types")
    op.drop_table("scheduling_calendar_feeds")
    op.drop_table("scheduling_calendar_connections")
    op.drop_table("scheduling_availability")
