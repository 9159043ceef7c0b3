"""The permission matrix: the only place that says what each role may do.

Permissions are ``<area>.<verb>``. Roles are ordered; an API key carries an explicit subset of
permissions (its scopes) instead of a role.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"
    VIEWER = "viewer"


ROLE_RANK = {Role.VIEWER: 0, Role.AGENT: 1, Role.ADMIN: 2, Role.OWNER: 3}

PERMISSIONS: dict[str, str] = {
    "org.read": "See the organization's name and settings",
    "org.update": "Change the organization's name, time zone and settings",
    "org.delete": "Delete the organization and everything in it",
    "org.grant_operator_access": "Let installation operators read conversation content for a while",
    "members.read": "See who belongs to the organization",
    "members.manage": "Change members' roles and remove members",
    "invitations.read": "See pending invitations",
    "invitations.manage": "Invite people and revoke invitations",
    "apikeys.read": "See the organization's API keys (never the secrets)",
    "apikeys.manage": "Create and revoke API keys",
    "audit.read": "Read the audit log",
    "mail.read": "Read the organization's email outbox",
    "inboxes.read": "See inboxes and their settings",
    "inboxes.manage": "Create, change and delete inboxes",
    "contacts.read": "See contacts",
    "contacts.write": "Create and change contacts",
    "conversations.read": "Read conversations",
    "conversations.reply": "Reply to customers and write private notes",
    "conversations.manage": "Assign, resolve, label and delete conversations",
    "assistants.manage": "Configure assistants and their instructions",
    "knowledge.read": "Read the knowledge base",
    "knowledge.manage": "Write and import knowledge base articles",
    "flows.read": "See bot flows and their executions",
    "flows.manage": "Edit, publish and run bot flows and triggers",
    "leads.read": "See leads",
    "leads.write": "Create and change leads",
    "leads.export": "Export leads and reports",
    "meetings.read": "See meetings and availability",
    "meetings.manage": "Book, move and cancel meetings; edit availability",
    "analytics.read": "See analytics and dashboards",
    "webhooks.manage": "Manage outgoing webhook subscriptions",
}

_READ_ONLY = {p for p in PERMISSIONS if p.endswith(".read")} - {"audit.read", "mail.read", "apikeys.read"}

_AGENT = _READ_ONLY | {
    "contacts.write",
    "conversations.reply",
    "conversations.manage",
    "leads.write",
    "meetings.manage",
}

_ADMIN = set(PERMISSIONS) - {"org.delete", "org.grant_operator_access"}

MATRIX: dict[Role, frozenset[str]] = {
    Role.OWNER: frozenset(PERMISSIONS),
    Role.ADMIN: frozenset(_ADMIN),
    Role.AGENT: frozenset(_AGENT),
    Role.VIEWER: frozenset(_READ_ONLY),
}

# What an API key may be given at most: never the power to delete the organization or manage people.
API_KEY_GRANTABLE = frozenset(_ADMIN - {"members.manage", "apikeys.manage", "invitations.manage"})


def role_permissions(role: str) -> frozenset[str]:
    try:
        return MATRIX[Role(role)]
    except ValueError:
        return frozenset()


def can_assign(actor_role: str, target_role: str) -> bool:
    """Only an owner makes owners; others grant at most their own rank."""
    if target_role == Role.OWNER:
        return actor_role == Role.OWNER
    ranks = {role.value: rank for role, rank in ROLE_RANK.items()}
    # An unknown role on either side is never assignable (API keys and visitors have no rank).
    return ranks.get(str(actor_role), -1) >= ranks.get(str(target_role), 99)
