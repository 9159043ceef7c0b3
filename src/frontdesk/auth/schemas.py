from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, EmailStr, Field

Password = Field(min_length=10, max_length=256, description="At least 10 characters.")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Registration(Strict):
    email: EmailStr
    password: str = Password
    name: str = Field(min_length=1, max_length=200)
    organization_name: str = Field(min_length=1, max_length=200)
    timezone: str = Field("UTC", max_length=64)


class Login(Strict):
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=10, max_length=200)


class LogoutRequest(Strict):
    refresh_token: str | None = Field(None, max_length=200)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds the access token stays valid.")


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Password


class PasswordResetRequest(Strict):
    email: EmailStr


class PasswordReset(Strict):
    token: str = Field(min_length=10, max_length=200)
    new_password: str = Password


class MembershipInfo(BaseModel):
    organization_id: uuid.UUID
    organization_name: str
    organization_slug: str
    role: str
    status: str


class Me(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    is_operator: bool
    organization_id: uuid.UUID | None = Field(description="The organization this request acted in.")
    memberships: list[MembershipInfo]
    permissions: list[str]
