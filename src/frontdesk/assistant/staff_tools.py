"""What the staff assistant can look up: each tool is an ordinary, scoped service call.

Every tool checks its permission with ``authz.service.require`` when it runs, on top of the role's
tool list (``staff.PERSONAS``): a tool that is not offered cannot be called, and a tool that is
offered still cannot read what the person's permissions do not cover. Tools put tables and charts
into ``deps.blocks`` for the page and return a short text for the model to build its answer on.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic_ai import RunContext
from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import charts
from frontdesk.authz.service import require
from frontdesk.authz.subject import AuthSubject
from frontdesk.conversations.models import Conversation
from frontdesk.messages.models import Message

MAX_DAYS = 90


@dataclass
class StaffDeps:
    session: AsyncSession
    subject: AuthSubject
    role: str
    today: date
    blocks: list[dict[str, Any]] = field(default_factory=list)
    used: list[str] = field(default_factory=list)


def _day_column(session: AsyncSession, column: Any) -> Any:
    # SQLite has no DATE type: date() gives 'YYYY-MM-DD' text; PostgreSQL casts (the session is UTC).
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column)
    return cast(column, Date)


async def _per_day(
    session: AsyncSession, organization_id: uuid.UUID, column: Any, model: Any, since: datetime, *extra: Any
) -> dict[str, int]:
    day = _day_column(session, column)
    rows = await session.execute(
        select(day, func.count())
        .select_from(model)
        .where(model.organization_id == organization_id, column >= since, *extra)
        .group_by(day)
    )
    return {str(d)[:10]: int(n) for d, n in rows}


async def conversation_stats(ctx: RunContext[StaffDeps], days: int = 14) -> str:
    """Counts of new conversations, messages and escalations per day over the last `days` days (1-90)."""
    deps = ctx.deps
    scope = require(deps.subject, "analytics.read")
    deps.used.append("conversation_stats")
    days = max(1, min(MAX_DAYS, int(days)))
    start = deps.today - timedelta(days=days - 1)
    since = datetime(start.year, start.month, start.day)
    from frontdesk.kit.clock import as_utc

    since = as_utc(since)
    org = scope.organization_id
    convs = await _per_day(deps.session, org, Conversation.created_at, Conversation, since)
    msgs = await _per_day(deps.session, org, Message.created_at, Message, since, Message.private.is_(False))
    escalations = await _per_day(
        deps.session, org, Conversation.escalated_at, Conversation, since, Conversation.escalated_at.is_not(None)
    )
    labels = [(start + timedelta(days=i)).isoformat() for i in range(days)]
    chart = charts.Chart(
        title=f"Conversations, messages and escalations per day, last {days} days",
        labels=[label[5:] for label in labels],
        series=[
            charts.Series("Conversations", [float(convs.get(d, 0)) for d in labels]),
            charts.Series("Messages", [float(msgs.get(d, 0)) for d in labels]),
            charts.Series("Escalations", [float(escalations.get(d, 0)) for d in labels]),
        ],
    )
    deps.blocks.append(chart.as_dict())
    deps.blocks.append(charts.chart_table(chart))
    total_c, total_m, total_e = sum(convs.values()), sum(msgs.values()), sum(escalations.values())
    rate = f"{100 * total_e / total_c:.0f}%" if total_c else "none"
    return (
        f"In the last {days} days (UTC): {total_c} new conversations, {total_m} messages and {total_e} "
        f"escalations to people (escalation rate {rate})."
    )


async def settings_overview(ctx: RunContext[StaffDeps]) -> str:
    """The organization's inboxes, assistants and members by role."""
    deps = ctx.deps
    from frontdesk.assistant import copilot_bridge
    from frontdesk.inboxes import service as inboxes
    from frontdesk.orgs.models import Membership

    scope = require(deps.subject, "inboxes.read")
    members_scope = require(deps.subject, "members.read")
    deps.used.append("settings_overview")
    rows = await inboxes.list_inboxes(deps.session, scope)
    deps.blocks.append(
        charts.table(
            "Inboxes",
            ["Name", "Channel", "Assistant answers", "Copilot drafts"],
            [[i.name, i.channel, "yes" if i.assistant_enabled else "no", "yes" if i.copilot else "no"] for i in rows],
        )
    )
    assistants = await copilot_bridge.list_assistants(deps.session, scope.organization_id)
    if assistants:
        deps.blocks.append(
            charts.table(
                "Assistants",
                ["Name", "Provider", "Model", "Enabled"],
                [[a.name, a.provider, a.model_name, "yes" if a.enabled else "no"] for a in assistants],
            )
        )
    roles = await deps.session.execute(
        select(Membership.role, func.count())
        .where(Membership.organization_id == members_scope.organization_id)
        .group_by(Membership.role)
    )
    by_role = {str(r): int(n) for r, n in roles}
    deps.blocks.append(
        charts.table("Members by role", ["Role", "People"], [[r, n] for r, n in sorted(by_role.items())])
    )
    return (
        f"{len(rows)} inboxes ({', '.join(i.name for i in rows[:5])}{'…' if len(rows) > 5 else ''}), "
        f"{len(assistants)} assistants, {sum(by_role.values())} members."
    )


async def search_knowledge(ctx: RunContext[StaffDeps], query: str) -> str:
    """Search the knowledge base; returns the best articles with a snippet each."""
    deps = ctx.deps
    from frontdesk.knowledge import service as knowledge

    scope = require(deps.subject, "knowledge.read")
    deps.used.append("search_knowledge")
    hits = await knowledge.search_articles(deps.session, scope, query[:500], limit=5)
    if not hits:
        return "No article in the knowledge base matches that."
    deps.blocks.append(
        charts.table("Knowledge base articles", ["Title", "Snippet"], [[h.title, h.snippet] for h in hits])
    )
    best = hits[0]
    return f"Best match: “{best.title}”. {_first_paragraph(best.body)}"


def _first_paragraph(body: str, limit: int = 400) -> str:
    text = re.sub(r"[#*_`>]+", "", body).strip().split("\n\n")[0].strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def my_queue(ctx: RunContext[StaffDeps]) -> str:
    """The conversations assigned to the person asking, and how many wait for anyone."""
    deps = ctx.deps
    from frontdesk.conversations import service as conversations
    from frontdesk.kit.pagination import PageParams

    scope = require(deps.subject, "conversations.read")
    deps.used.append("my_queue")
    counts = await conversations.conversation_counts(deps.session, scope, deps.subject, inbox_id=None)
    mine = await conversations.list_conversations(
        deps.session,
        scope,
        deps.subject,
        assignee="me",
        statuses=["open", "pending"],
        inbox_id=None,
        label=None,
        q=None,
        paging=PageParams(page=1, per_page=10),
    )
    deps.blocks.append(
        charts.table(
            "Your open conversations",
            ["Contact", "Status", "Last activity"],
            [
                [
                    c.contact_name,
                    c.status,
                    c.last_activity_at.isoformat(timespec="minutes") if c.last_activity_at else "",
                ]
                for c in mine.items
            ],
        )
    )
    return (
        f"You have {counts.mine.open} open and {counts.mine.pending} waiting conversations; "
        f"{counts.unassigned.pending} wait unassigned."
    )


async def overview(ctx: RunContext[StaffDeps]) -> str:
    """How many conversations there are in each status, across the organization."""
    deps = ctx.deps
    from frontdesk.conversations import service as conversations

    scope = require(deps.subject, "conversations.read")
    deps.used.append("overview")
    counts = await conversations.conversation_counts(deps.session, scope, deps.subject, inbox_id=None)
    every = counts.all.model_dump()
    deps.blocks.append(
        charts.table("Conversations by status", ["Status", "Conversations"], [[k, v] for k, v in every.items()])
    )
    return "Conversations by status: " + ", ".join(f"{k} {v}" for k, v in every.items()) + "."


TOOLS: dict[str, Callable[..., Awaitable[str]]] = {
    "conversation_stats": conversation_stats,
    "settings_overview": settings_overview,
    "search_knowledge": search_knowledge,
    "my_queue": my_queue,
    "overview": overview,
}
