"""Turning raw activity into stored aggregates, idempotently.

A period's rows are deleted and written again in one transaction, so re-running an hour or a day
(after a bug fix, or for a date range through the API) gives the same figures as the first run, and a
reader never sees half a period.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.analytics import (
    histogram,
    sources_more,  # noqa: F401  (registers the other domains' figures)
)
from frontdesk.analytics.models import StatRow
from frontdesk.analytics.sources import SOURCES
from frontdesk.kit.clock import as_utc
from frontdesk.kit.ids import new_id
from frontdesk.orgs.models import Organization

Metrics = dict[tuple[str, str, str], tuple[float, dict[str, Any] | None]]


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """Local midnight to local midnight, in UTC: 23 or 25 hours on the days the clocks change."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return as_utc(start), as_utc(end)


async def compute(session: AsyncSession, org: uuid.UUID, start: datetime, end: datetime) -> Metrics:
    merged: dict[tuple[str, str, str], list[Any]] = {}
    for source in SOURCES:
        for dim, key, metric, value, hist in await source(session, org, start, end):
            slot = merged.setdefault((dim, key, metric), [0.0, None])
            slot[0] += value
            if hist is not None:
                slot[1] = histogram.merge([slot[1], hist])
    return {k: (v[0], v[1]) for k, v in merged.items()}


async def store(
    session: AsyncSession, org: uuid.UUID, granularity: str, start: datetime, metrics: Metrics, now: datetime
) -> int:
    await session.execute(
        delete(StatRow).where(
            StatRow.organization_id == org, StatRow.granularity == granularity, StatRow.period_start == start
        )
    )
    rows = [
        {
            "id": new_id(),
            "organization_id": org,
            "granularity": granularity,
            "period_start": start,
            "dimension": dim,
            "key": key,
            "metric": metric,
            "value": value,
            "data": hist,
            "computed_at": now,
        }
        for (dim, key, metric), (value, hist) in metrics.items()
    ]
    if rows:
        # An upsert, not a plain insert: the hourly job and a re-run asked for over the API may
        # compute the same period at the same moment, and both must succeed with the same figures.
        dialect = session.get_bind().dialect.name
        upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(StatRow)
        await session.execute(
            upsert.on_conflict_do_update(
                index_elements=["organization_id", "granularity", "period_start", "dimension", "key", "metric"],
                set_={
                    "value": upsert.excluded.value,
                    "data": upsert.excluded.data,
                    "computed_at": upsert.excluded.computed_at,
                },
            ),
            rows,
        )
    return len(rows)


async def aggregate_hour(session: AsyncSession, org: uuid.UUID, hour: datetime, now: datetime) -> int:
    start = as_utc(hour).replace(minute=0, second=0, microsecond=0)
    return await store(session, org, "hour", start, await compute(session, org, start, start + timedelta(hours=1)), now)


async def aggregate_day(session: AsyncSession, org: uuid.UUID, day: date, tz: str, now: datetime) -> int:
    start, end = day_bounds(day, tz)
    return await store(session, org, "day", start, await compute(session, org, start, end), now)


async def aggregate_range(
    session: AsyncSession,
    org: Organization,
    first: date,
    last: date,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
    hours_since: datetime | None = None,
) -> tuple[int, int]:
    """Re-run every day from ``first`` to ``last`` (local dates), and their hours from ``hours_since``.

    Hours older than the hourly retention would be deleted again at once, so callers pass that limit.
    """
    tz = org.timezone or "UTC"
    days = (last - first).days + 1
    written = 0
    for n in range(days):
        day = first + timedelta(days=n)
        start, end = day_bounds(day, tz)
        written += await aggregate_day(session, org.id, day, tz, now)
        hour = max(start, hours_since) if hours_since else start
        while hour < end and hour < now:
            written += await aggregate_hour(session, org.id, hour, now)
            hour += timedelta(hours=1)
        if progress is not None:
            progress(n + 1, days)
    return days, written


async def org_ids(session: AsyncSession) -> list[tuple[uuid.UUID, str]]:
    rows = await session.execute(select(Organization.id, Organization.timezone).where(Organization.status == "active"))
    return [(i, tz or "UTC") for i, tz in rows.all()]


def merge(rows: list[tuple[str, str, str, float, dict[str, Any] | None]]) -> Metrics:
    """Sum stored rows (of several periods) into one figure per (dimension, key, metric)."""
    values: dict[tuple[str, str, str], float] = defaultdict(float)
    hists: dict[tuple[str, str, str], list[dict[str, Any] | None]] = defaultdict(list)
    for dim, key, metric, value, data in rows:
        values[(dim, key, metric)] += value
        if data is not None:
            hists[(dim, key, metric)].append(data)
    return {k: (v, histogram.merge(hists[k]) if k in hists else None) for k, v in values.items()}
