from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select

from frontdesk.mail.models import MailMessage


def outbox(org_ids: Iterable[uuid.UUID] | None) -> Select[Any]:
    """``None``: mail that belongs to no organization (password resets), for operators."""
    stmt = select(MailMessage)
    stmt = (
        stmt.where(MailMessage.organization_id.is_(None))
        if org_ids is None
        else stmt.where(MailMessage.organization_id.in_(list(org_ids)))
    )
    return stmt.order_by(MailMessage.created_at.desc(), MailMessage.id.desc())
