"""Imports every domain's tables so metadata (Alembic, tests) sees the whole schema."""

# Each later domain's module registers its tables on import; their names are exported by the domain.
import frontdesk.analytics.models
import frontdesk.assistant.copilot_models
import frontdesk.assistant.models
import frontdesk.assistant.playground_models
import frontdesk.assistant.provider_models
import frontdesk.assistant.usage_models
import frontdesk.channels.outbox_models
import frontdesk.channels.whatsapp.models
import frontdesk.flows.models
import frontdesk.knowledge.models
import frontdesk.leads.models
import frontdesk.notifications.models
import frontdesk.scheduling.models  # noqa: F401
from frontdesk.agents.models import AgentPresence, Shift
from frontdesk.apikeys.models import ApiKey
from frontdesk.audit.models import AuditEvent
from frontdesk.auth.models import PasswordResetToken, RefreshToken
from frontdesk.contacts.models import Contact, ContactAttribute, ContactIdentity
from frontdesk.conversations.models import CannedResponse, Conversation, ConversationRead, CsatRating
from frontdesk.inboxes.models import Inbox, Team, TeamMember
from frontdesk.invitations.models import Invitation
from frontdesk.kit.jobs import Job
from frontdesk.kit.models import Base
from frontdesk.mail.models import MailMessage
from frontdesk.messages.models import Message
from frontdesk.orgs.models import Membership, Organization
from frontdesk.users.models import User
from frontdesk.webhooks.models import WebhookDelivery, WebhookSubscription

__all__ = [
    "AgentPresence",
    "ApiKey",
    "AuditEvent",
    "Base",
    "CannedResponse",
    "Contact",
    "ContactAttribute",
    "ContactIdentity",
    "Conversation",
    "ConversationRead",
    "CsatRating",
    "Inbox",
    "Invitation",
    "Job",
    "MailMessage",
    "Membership",
    "Message",
    "Organization",
    "PasswordResetToken",
    "RefreshToken",
    "Shift",
    "Team",
    "TeamMember",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
]
