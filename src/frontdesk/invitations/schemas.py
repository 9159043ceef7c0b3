from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from frontdesk.authz.permissions import Role


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Invitation(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    role: str
    status: InvitationStatus = Field(description="Worked out from the timestamps at the time of the request.")
    invited_by_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    accepted_by_id: uuid.UUID | None
    revoked_at: datetime | None


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    role: Role = Field(description="owner, admin, agent or viewer; at most your own role, and only owners make owners.")


class InvitationCreated(Invitation):
    token: str = Field(description="The secret of the invitation. Shown this once; only a hash is kept.")
    accept_url: str = Field(description="The link to share with the invited person if the email does not reach them.")


class InvitationPreview(BaseModel):
    """What the accept page shows before the invited person decides; nothing beyond what the link already grants."""

    organization_id: uuid.UUID
    organization_name: str
    email: str
    role: str
    expires_at: datetime
    account_exists: bool = Field(description="Whether an account already uses the invited email (sign in to link it).")


class InvitationAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=200)
    name: str | None = Field(None, max_length=200, description="Needed when a new account is created.")
    password: str | None = Field(
        None,
        max_length=256,
        description="A new account's password (at least 10 characters), or the existing account's password.",
    )


class InvitationAccepted(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds the access token stays valid.")
    user_id: uuid.UUID
    organization_id: uuid.UUID
