"""Tables of this domain: leads and their history, pipeline settings, exports and reports, and
conversation-log retention (the purge is a lead-and-logs concern: what the business keeps)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin

# What a lead knows about a person; the order is the order of exports and forms.
LEAD_FIELDS = ("name", "email", "phone", "company", "need", "budget", "timeframe")


class Lead(Base, IdMixin, TimestampMixin, TenantMixin):
    """One lead per contact: what the business learnt about them and where they are in the pipeline."""

    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("organization_id", "contact_id"),
        Index("ix_leads_org_status", "organization_id", "status"),
        Index("ix_leads_org_created", "organization_id", "created_at", "id"),
        Index("ix_leads_followup", "next_follow_up_at"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"))
    source_message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(20), default="api")
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    company: Mapped[str | None] = mapped_column(String(200))
    need: Mapped[str | None] = mapped_column(Text)
    budget: Mapped[str | None] = mapped_column(String(200))
    timeframe: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(40), default="new")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    score: Mapped[int] = mapped_column(default=0)
    # False once a person sets the score: captures then stop recomputing it.
    score_auto: Mapped[bool] = mapped_column(default=True)
    next_follow_up_at: Mapped[datetime | None]
    # The follow-up time already notified, so a retried sweep never notifies twice.
    follow_up_notified_at: Mapped[datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None]

    @property
    def rejected(self) -> dict[str, str]:
        """Values the last capture refused (field -> reason); reported to the caller, never stored."""
        value: dict[str, str] = self.__dict__.get("_rejected_values", {})
        return value

    @rejected.setter
    def rejected(self, value: dict[str, str]) -> None:
        self.__dict__["_rejected_values"] = dict(value)


class LeadChange(Base, IdMixin, TimestampMixin, TenantMixin):
    """The history of a lead's fields: every value it ever took, who or what set it, and from which message."""

    __tablename__ = "lead_changes"
    __table_args__ = (Index("ix_lead_changes_lead_created", "lead_id", "created_at"),)

    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class LeadSettings(Base, IdMixin, TenantMixin):
    """Per organization: the pipeline's statuses and the daily report's schedule."""

    __tablename__ = "lead_settings"
    __table_args__ = (UniqueConstraint("organization_id"),)

    # [{"key": "new", "label": "New"}, ...] in board order.
    statuses: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    report_enabled: Mapped[bool] = mapped_column(default=False)
    report_time: Mapped[str] = mapped_column(String(5), default="18:00")
    report_recipients: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # The slot the live schedule chain is booked for: a chain whose slot differs is stale and stops.
    report_next_at: Mapped[datetime | None]
    follow_up_flow_event: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime | None]


class LeadExport(Base, IdMixin, TimestampMixin, TenantMixin):
    """A file being written or ready: an export someone asked for, or a daily report."""

    __tablename__ = "lead_exports"
    __table_args__ = (Index("ix_lead_exports_org_kind_created", "organization_id", "kind", "created_at"),)

    kind: Mapped[str] = mapped_column(String(10), default="export")
    format: Mapped[str] = mapped_column(String(4))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    total_rows: Mapped[int] = mapped_column(default=0)
    done_rows: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str] = mapped_column(String(200), default="")
    size_bytes: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    report_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    finished_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]


class ConversationRetention(Base, IdMixin, TenantMixin):
    """How long an organization keeps conversations; null keeps them forever."""

    __tablename__ = "conversation_retention"
    __table_args__ = (UniqueConstraint("organization_id"),)

    retention_days: Mapped[int | None]
    updated_at: Mapped[datetime | None]


class ConversationPurge(Base, IdMixin, TimestampMixin, TenantMixin):
    """One purge run, with its progress; the audit log records who started it and what it removed."""

    __tablename__ = "conversation_purges"

    cutoff: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    total: Mapped[int] = mapped_column(default=0)
    deleted: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    finished_at: Mapped[datetime | None]
