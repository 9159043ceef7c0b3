"""The one place that turns a subject into the organization ids it may touch.

Repositories take the result as a parameter; nothing else computes tenant scope. Another tenant's
ids are answered with 404 by the repositories because they simply never match.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from frontdesk.authz.permissions import API_KEY_GRANTABLE, PERMISSIONS, role_permissions
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.errors import BadRequest, Forbidden, Unauthorized


@dataclass(frozen=True)
class OrgScope:
    """Permission to act in exactly one organization, with the permission that was checked."""

    organization_id: uuid.UUID
    permission: str
    role: str | None

    @property
    def ids(self) -> frozenset[uuid.UUID]:
        return frozenset({self.organization_id})


def permissions_in(subject: AuthSubject, organization_id: uuid.UUID) -> frozenset[str]:
    role = subject.memberships.get(organization_id)
    if role is None or organization_id in subject.suspended:
        return frozenset()
    # A key's stored scopes are capped by what keys may hold today, not only by what they could
    # hold when the key was made: narrowing API_KEY_GRANTABLE then takes effect on existing keys.
    granted = role_permissions(role) if subject.kind == "user" else API_KEY_GRANTABLE
    if subject.scopes is not None:
        granted = granted & subject.scopes
    return granted


def current_org(subject: AuthSubject) -> uuid.UUID:
    if subject.organization_id is not None:
        return subject.organization_id
    if not subject.memberships and not subject.suspended:
        raise Forbidden("You do not belong to any organization yet.", code="no_organization")
    raise BadRequest(
        "You belong to several organizations: say which one with the X-Organization-Id header.",
        code="organization_required",
    )


def require(subject: AuthSubject, permission: str) -> OrgScope:
    """Scope to the request's organization, if the subject holds ``permission`` there."""
    if permission not in PERMISSIONS:
        raise RuntimeError(f"unknown permission {permission!r}")
    org_id = current_org(subject)
    if org_id in subject.suspended:
        raise Forbidden(
            "This organization is suspended. Contact the installation's operator.", code="organization_suspended"
        )
    if permission not in permissions_in(subject, org_id):
        raise Forbidden(
            f"Your role does not allow {PERMISSIONS[permission].lower()}.",
            code="permission_denied",
        )
    return OrgScope(org_id, permission, subject.memberships.get(org_id))


def org_ids(subject: AuthSubject, permission: str) -> frozenset[uuid.UUID]:
    """Every organization in which the subject holds ``permission`` (for cross-org views)."""
    return frozenset(o for o in subject.memberships if permission in permissions_in(subject, o))


def require_operator(subject: AuthSubject) -> None:
    if subject.kind != "user" or not subject.is_operator:
        raise Forbidden("Only installation operators can do this.", code="operator_required")


def require_user(subject: AuthSubject) -> uuid.UUID:
    if subject.kind != "user" or subject.user_id is None:
        raise Unauthorized("This needs a signed-in person, not an API key.", code="user_required")
    return subject.user_id
