"""Names for the keys of a breakdown (agents, inboxes, assistants, flows), read from their tables."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.inboxes.models import Inbox
from frontdesk.orgs.models import Membership
from frontdesk.users.models import User


async def labels_for(session: AsyncSession, scope: OrgScope, dimension: str) -> dict[str, str]:
    org: uuid.UUID = scope.organization_id
    if dimension == "agent":
        people = await session.execute(
            select(User.id, User.name, User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organization_id == org, Membership.role.in_(("owner", "admin", "agent")))
        )
        return {str(i): (n or e) for i, n, e in people.all()}
    if dimension == "inbox":
        rows = await session.execute(select(Inbox.id, Inbox.name).where(Inbox.organization_id == org))
        return {str(i): n for i, n in rows.all()}
    if dimension == "assistant":
        from frontdesk.assistant.models import Assistant

        rows = await session.execute(select(Assistant.id, Assistant.name).where(Assistant.organization_id == org))
        return {str(i): n for i, n in rows.all()}
    if dimension == "flow":
        from frontdesk.flows.models import Flow

        rows = await session.execute(select(Flow.id, Flow.name).where(Flow.organization_id == org))
        return {str(i): n for i, n in rows.all()}
    return {}
