from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin


class Contact(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_org_email", "organization_id", "email"),)

    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    # What the business knows about this person, for the assistant ("special instructions").
    description: Mapped[str] = mapped_column(Text, default="")
    last_seen_at: Mapped[datetime | None]
    opted_out_at: Mapped[datetime | None]
    blocked: Mapped[bool] = mapped_column(default=False)


class ContactIdentity(Base, IdMixin, TimestampMixin, TenantMixin):
    """How a channel knows the contact: a widget visitor id, a WhatsApp number, an API caller's id."""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("organization_id", "channel", "external_id"),)

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    verified: Mapped[bool] = mapped_column(default=False)


class ContactAttribute(Base, IdMixin, TimestampMixin, TenantMixin):
    """One typed value per column, so attribute search is plain indexed SQL on both dialects."""

    __tablename__ = "contact_attributes"
    __table_args__ = (
        UniqueConstraint("contact_id", "key"),
        Index("ix_contact_attributes_org_key_text", "organization_id", "key", "value_text"),
        Index("ix_contact_attributes_org_key_number", "organization_id", "key", "value_number"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(10))
    value_text: Mapped[str | None] = mapped_column(Text)
    value_number: Mapped[float | None] = mapped_column(Numeric(asdecimal=False))
    value_bool: Mapped[bool | None]
    value_date: Mapped[date | None]
    value_json: Mapped[Any | None] = mapped_column(JSONType)
    updated_at: Mapped[datetime | None]


class AttributeDefinition(Base, IdMixin, TimestampMixin, TenantMixin):
    """What an organization's attribute keys mean (label, type), shown in the contact panel and used by flows."""

    __tablename__ = "contact_attribute_definitions"
    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    key: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
