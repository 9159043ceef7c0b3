from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, TimestampMixin

PENDING, SENT, LOGGED, FAILED = "pending", "sent", "logged", "failed"


class MailMessage(Base, IdMixin, TimestampMixin):
    """Every email, kept. With no SMTP server configured it is logged and stays readable here.

    ``organization_id`` is null for mail that belongs to a person rather than an organization
    (password resets); operators see those.
    """

    __tablename__ = "mail_messages"

    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40), default="general")
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
