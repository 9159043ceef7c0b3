"""The daily digest: notifications a person chose to receive by mail once a day."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import JobContext, next_hour, recurring
from frontdesk.mail.service import queue_mail
from frontdesk.notifications import repository
from frontdesk.notifications.models import Notification
from frontdesk.orgs.models import Organization
from frontdesk.users.models import User

# A digest never waits longer than this, whatever the hour setting (a missed hour after downtime).
MAX_WAIT = timedelta(hours=25)


@recurring("notifications.digest", next_hour)
async def send_digests(ctx: JobContext) -> None:
    now = ctx.runtime.clock.now()
    async with transaction(ctx.runtime.sessionmaker) as session:
        pending = await repository.digest_pending(session, limit=5000)
        groups: dict[tuple[uuid.UUID, uuid.UUID], list[Notification]] = defaultdict(list)
        for row in pending:
            groups[(row.organization_id, row.user_id)].append(row)
        if not groups:
            return
        hours = await repository.digest_hours(session, set(groups))
        orgs = {
            o.id: o
            for o in await session.scalars(select(Organization).where(Organization.id.in_({k[0] for k in groups})))
        }
        people = {u.id: u for u in await session.scalars(select(User).where(User.id.in_({k[1] for k in groups})))}
        for (org_id, user_id), rows in groups.items():
            org, person = orgs.get(org_id), people.get(user_id)
            if org is None or person is None:
                continue
            local = now.astimezone(ZoneInfo(org.timezone or "UTC"))
            due = local.hour == hours.get((org_id, user_id), 8) or now - rows[0].created_at >= MAX_WAIT
            if not due:
                continue
            lines = [f"- {r.title}" + (f": {r.body}" if r.body else "") for r in rows]
            queue_mail(
                session,
                to=person.email,
                subject=f"{org.name}: {len(rows)} notification{'s' if len(rows) != 1 else ''} since your last digest",
                text="\n".join(lines) + "\n\n(You can change which notifications are mailed to you in Frontdesk.)",
                organization_id=org_id,
                kind="notification.digest",
            )
            for r in rows:
                r.digest_pending = False
