"""Who is calling. Built by ``auth``; only ``authz`` turns it into organization ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

SubjectKind = Literal["user", "api_key", "visitor"]


@dataclass(frozen=True)
class AuthSubject:
    kind: SubjectKind
    label: str
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    # Every active organization the subject belongs to, with its role there.
    memberships: dict[uuid.UUID, str] = field(default_factory=dict)
    # Organizations the subject belongs to that an operator has suspended.
    suspended: frozenset[uuid.UUID] = frozenset()
    # The organization this request acts in (header ``X-Organization-Id``, or the only one).
    organization_id: uuid.UUID | None = None
    # For API keys: the permissions granted. ``None`` means "whatever the role allows".
    scopes: frozenset[str] | None = None
    is_operator: bool = False
    ip: str | None = None
    via: str = "password"
