"""Imports every domain's tables so metadata (Alembic, tests) sees the whole schema."""

from frontdesk.apikeys.models import ApiKey
from frontdesk.audit.models import AuditEvent
from frontdesk.auth.models import PasswordResetToken, RefreshToken
from frontdesk.invitations.models import Invitation
from frontdesk.kit.jobs import Job
from frontdesk.kit.models import Base
from frontdesk.mail.models import MailMessage
from frontdesk.orgs.models import Membership, Organization
from frontdesk.users.models import User

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Base",
    "Invitation",
    "Job",
    "MailMessage",
    "Membership",
    "Organization",
    "PasswordResetToken",
    "RefreshToken",
    "User",
]
