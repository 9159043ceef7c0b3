"""Per-organization pipeline settings: the statuses (editable) and the daily report's schedule."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.errors import ValidationFailed
from frontdesk.leads import repository
from frontdesk.leads.models import LeadSettings
from frontdesk.orgs.models import Organization

DEFAULT_STATUSES: list[dict[str, Any]] = [
    {"key": "new", "label": "New"},
    {"key": "contacted", "label": "Contacted"},
    {"key": "qualified", "label": "Qualified"},
    {"key": "follow_up", "label": "Follow up"},
    {"key": "won", "label": "Won"},
    {"key": "lost", "label": "Lost"},
]
MAX_STATUSES = 20
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


async def settings_for(session: AsyncSession, organization_id: uuid.UUID) -> LeadSettings:
    """The organization's row, made with the defaults on first use (not flushed until changed)."""
    row = await repository.settings(session, organization_id)
    if row is None:
        row = LeadSettings(
            organization_id=organization_id,
            statuses=[dict(s) for s in DEFAULT_STATUSES],
            report_enabled=False,
            report_time="18:00",
            report_recipients=[],
            follow_up_flow_event=True,
        )
    return row


def status_keys(row: LeadSettings) -> list[str]:
    return [str(s["key"]) for s in (row.statuses or DEFAULT_STATUSES)]


def first_status(row: LeadSettings) -> str:
    keys = status_keys(row)
    return keys[0] if keys else "new"


def check_statuses(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not raw:
        raise ValidationFailed("A pipeline needs at least one status.", code="statuses_empty")
    if len(raw) > MAX_STATUSES:
        raise ValidationFailed(f"A pipeline has at most {MAX_STATUSES} statuses.", code="statuses_too_many")
    seen: set[str] = set()
    clean: list[dict[str, Any]] = []
    for item in raw:
        key = str(item.get("key", "")).strip().lower()
        label = " ".join(str(item.get("label", "") or key).split())[:60]
        if not _KEY.match(key):
            raise ValidationFailed(
                f"Status key {key!r} must be lowercase letters, digits and underscores.",
                code="status_key_invalid",
                details={"key": key},
            )
        if key in seen:
            raise ValidationFailed(f"Status {key!r} appears twice.", code="status_duplicate", details={"key": key})
        seen.add(key)
        clean.append({"key": key, "label": label or key})
    return clean


def check_report_time(value: str) -> str:
    if not _TIME.match(value.strip()):
        raise ValidationFailed("The report time is HH:MM on a 24-hour clock.", code="report_time_invalid")
    return value.strip()


def zone_of(org: Organization | None) -> ZoneInfo:
    try:
        return ZoneInfo(org.timezone if org is not None and org.timezone else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_slot(day: date, at: str, zone: ZoneInfo) -> datetime:
    """``at`` on ``day`` in ``zone``, as an aware datetime.

    On a spring-forward day a time that does not exist (02:30) lands an hour later in UTC terms,
    which is what a wall clock shows; on a fall-back day the first of the two 01:30s is taken.
    """
    hour, minute = (int(p) for p in at.split(":"))
    wall = datetime.combine(day, time(hour, minute), tzinfo=zone)
    return wall.astimezone(ZoneInfo("UTC")).astimezone(zone)


def next_report_slot(now: datetime, at: str, zone: ZoneInfo) -> datetime:
    """The first report time strictly after ``now``, in UTC."""
    today = now.astimezone(zone).date()
    for offset in range(0, 3):
        slot = local_slot(today + timedelta(days=offset), at, zone)
        if slot > now:
            return slot.astimezone(ZoneInfo("UTC"))
    return local_slot(today + timedelta(days=3), at, zone).astimezone(ZoneInfo("UTC"))
