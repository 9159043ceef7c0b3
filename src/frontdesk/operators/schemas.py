from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from frontdesk.kit.pagination import Page


class OrganizationUsage(BaseModel):
    """Counts only: an operator's view of an organization never carries its content."""

    members: int
    api_keys: int = Field(description="Keys that are neither revoked nor expired.")
    audit_events_30d: int = Field(description="Audit events recorded in the last 30 days.")
    mail_sent: int = Field(description="Email delivered, or logged when no SMTP server is set.")


class OperatorOrganization(BaseModel):
    id: uuid.UUID
    name: str
    slug: str
    status: str
    timezone: str
    created_at: datetime
    suspended_at: datetime | None
    operator_access_until: datetime | None = Field(
        description="Until when the owners let operators read conversation content; null when never granted."
    )
    operator_access_active: bool
    usage: OrganizationUsage


class OrganizationFilter(BaseModel):
    q: str | None = Field(None, max_length=200, description="Part of the name or slug, any case.")
    status: Literal["active", "suspended"] | None = None


class OperatorOrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    owner_email: EmailStr = Field(description="An existing account that becomes the organization's owner.")
    timezone: str = Field("UTC", min_length=1, max_length=64)


class SuspendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=500, description="Kept in the audit log of both sides.")


class UsageTotals(BaseModel):
    organizations: int
    active_organizations: int
    suspended_organizations: int
    users: int
    operators: int
    memberships: int
    api_keys: int
    audit_events_30d: int = Field(description="Every audit event of the last 30 days, installation-level ones too.")
    mail_sent: int = Field(description="All email delivered or logged, including mail that belongs to no organization.")
    mail_failed: int


class UsageReport(BaseModel):
    generated_at: datetime
    totals: UsageTotals
    organizations: Page[OperatorOrganization]


class HealthReport(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, Any] = Field(description="The same probes as /health/ready.")
    mode: Literal["embedded", "distributed"]
    database: str
    jobs: dict[str, int] = Field(description="Background jobs by state: pending, running, done, dead.")
    oldest_due_seconds: float | None = Field(
        description="How long the oldest due, unclaimed job has waited; null when none waits."
    )
    versions: dict[str, str | None]
    schema_current: bool = Field(description="Whether the database is migrated to the code's newest revision.")


class OperatorAccess(BaseModel):
    organization_id: uuid.UUID
    until: datetime | None
    active: bool


class OperatorAccessGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hours: int = Field(ge=1, le=168, description="How long operators may read conversation content (at most a week).")
