"""``wait``: a duration, or until a time of day in the contact's or the organization's time zone.

Durable: the execution row records ``wait_until`` and a job is booked for that moment in the same
transaction, so a restart, a redeploy or a two-day pause changes nothing.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from frontdesk.flows.nodes.base import NodeBase, NodeContext, NodeFailed, NodeResult

UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}


class Wait(NodeBase):
    type: Literal["wait"] = "wait"
    mode: Literal["duration", "until"] = "duration"
    amount: float = Field(1, gt=0, le=10_000)
    unit: Literal["seconds", "minutes", "hours", "days", "weeks"] = "minutes"
    until_time: str | None = Field(None, pattern=r"^\d{2}:\d{2}$", description="HH:MM, the next time it comes")
    timezone: str = Field("contact", max_length=64, description="contact, organization, or an IANA name")

    waits = True

    def check(self) -> list[str]:
        if self.mode == "until" and not self.until_time:
            return ["A wait until a time needs until_time (HH:MM)."]
        if self.mode == "duration" and self.amount * UNITS[self.unit] > 8 * 604800:
            return ["Waits are limited to 8 weeks."]
        if self.timezone not in ("contact", "organization"):
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                return [f"Unknown time zone {self.timezone!r}."]
        return []

    async def _zone(self, ctx: NodeContext) -> ZoneInfo:
        name = self.timezone
        if name == "contact":
            attr = ((ctx.values.get("contact") or {}).get("attribute") or {}).get("timezone")
            name = str(attr) if attr else "organization"
        if name == "organization":
            from frontdesk.orgs.models import Organization

            org = await ctx.session.get(Organization, ctx.execution.organization_id)
            name = org.timezone if org is not None else "UTC"
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    async def run(self, ctx: NodeContext) -> NodeResult:
        if ctx.execution.waiting_for == "time" and ctx.execution.wait_until is not None:
            # Resumed by the job (or by hand): the wait is over.
            return NodeResult(output={"waited_until": ctx.execution.wait_until.isoformat()})
        now = ctx.now
        if self.mode == "duration":
            until = now + timedelta(seconds=self.amount * UNITS[self.unit])
        else:
            if not self.until_time:
                raise NodeFailed("until_time is missing")
            zone = await self._zone(ctx)
            local = now.astimezone(zone)
            hh, mm = (int(x) for x in self.until_time.split(":"))
            target = datetime.combine(local.date(), time(hh % 24, mm % 60), tzinfo=zone)
            if target <= local:
                target = datetime.combine(local.date() + timedelta(days=1), time(hh % 24, mm % 60), tzinfo=zone)
            until = target.astimezone(now.tzinfo)
        return NodeResult(port=None, wait="time", wait_until=until, output={"until": until.isoformat()})
