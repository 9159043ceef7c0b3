"""Tables of this domain: availability, meeting types, bookings, their slot claims and calendars."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin

CONFIRMED, CANCELLED = "confirmed", "cancelled"


class Availability(Base, IdMixin, TimestampMixin, TenantMixin):
    """Weekly hours in a time zone, for the organization (``agent_id`` null) or one agent.

    ``owner_key`` is ``org`` or the agent's id: a unique key that works the same on both dialects,
    where a unique index over a nullable ``agent_id`` would not (NULLs never collide).
    """

    __tablename__ = "scheduling_availability"
    __table_args__ = (UniqueConstraint("organization_id", "owner_key"),)

    owner_key: Mapped[str] = mapped_column(String(40))
    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # {"mon": [["09:00", "17:00"]], ...}; a missing day is a day off.
    weekly_hours: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # [{"date": "2026-12-25", "label": "Christmas"}]: whole days off in ``timezone``.
    exceptions: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime | None]


class MeetingType(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "scheduling_meeting_types"
    __table_args__ = (UniqueConstraint("organization_id", "slug"),)

    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column(default=30)
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    min_notice_minutes: Mapped[int] = mapped_column(default=60)
    max_days_ahead: Mapped[int] = mapped_column(default=30)
    slot_step_minutes: Mapped[int] = mapped_column(default=15)
    location_kind: Mapped[str] = mapped_column(String(16), default="video")
    location_value: Mapped[str] = mapped_column(String(500), default="")
    # Hosts; empty means the organization itself is the one resource that is booked.
    agent_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    reminder_minutes: Mapped[list[int]] = mapped_column(JSONType, default=list)
    is_default: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


class Booking(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "scheduling_bookings"
    __table_args__ = (Index("ix_scheduling_bookings_org_start", "organization_id", "start_at"),)

    meeting_type_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scheduling_meeting_types.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    host_key: Mapped[str] = mapped_column(String(40))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    notes: Mapped[str] = mapped_column(Text, default="")
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=CONFIRMED)
    location: Mapped[str] = mapped_column(String(500), default="")
    # Bumped on every change; the ICS SEQUENCE, and what a signed link and a reminder are bound to.
    sequence: Mapped[int] = mapped_column(default=0)
    source: Mapped[str] = mapped_column(String(20), default="api")
    cancelled_at: Mapped[datetime | None]


class BookingClaim(Base, IdMixin, TenantMixin):
    """One row per 5-minute grain a confirmed booking occupies for its host.

    The unique (host, grain) pair is what stops double booking when two requests race on
    PostgreSQL, for equal and for overlapping starts alike; SQLite's single writer serialises anyway.
    """

    __tablename__ = "scheduling_booking_claims"
    __table_args__ = (UniqueConstraint("host_key", "grain_at"),)

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scheduling_bookings.id", ondelete="CASCADE"), index=True)
    host_key: Mapped[str] = mapped_column(String(80))
    grain_at: Mapped[datetime]


class CalendarConnection(Base, IdMixin, TimestampMixin, TenantMixin):
    """An external calendar of the organization (``agent_id`` null) or of one agent."""

    __tablename__ = "scheduling_calendar_connections"

    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), default="")
    # Non-secret settings (server URL, user name, calendar id); secrets only in ``secret_encrypted``.
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active")
    oauth_state_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    oauth_state_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_synced_at: Mapped[datetime | None]


class BookingEvent(Base, IdMixin, TenantMixin):
    """Where a booking lives in one external calendar, so moves and deletes reach the same event."""

    __tablename__ = "scheduling_booking_events"
    __table_args__ = (UniqueConstraint("booking_id", "connection_id"),)

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scheduling_bookings.id", ondelete="CASCADE"))
    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("scheduling_calendar_connections.id", ondelete="CASCADE"), index=True
    )
    external_id: Mapped[str | None] = mapped_column(String(500))
    synced_sequence: Mapped[int] = mapped_column(default=-1)
    conference_url: Mapped[str | None] = mapped_column(String(500))
    last_error: Mapped[str | None] = mapped_column(Text)


class CalendarFeed(Base, IdMixin, TimestampMixin, TenantMixin):
    """An agent's private ICS feed of the built-in calendar; the token is kept hashed."""

    __tablename__ = "scheduling_calendar_feeds"
    __table_args__ = (UniqueConstraint("organization_id", "agent_id"),)

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)


class InvitationAttachment(Base, IdMixin, TenantMixin):
    """The .ics an invitation mail carries; the mail job attaches it when it sends that mail."""

    __tablename__ = "scheduling_invitation_attachments"

    mail_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mail_messages.id", ondelete="CASCADE"), unique=True)
    method: Mapped[str] = mapped_column(String(16))
    ics: Mapped[str] = mapped_column(Text)
