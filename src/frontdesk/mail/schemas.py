from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class MailMessage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    to_address: str
    subject: str
    body_text: str
    kind: str
    status: str
    error: str | None
    created_at: datetime
    sent_at: datetime | None
