"""Reading analytics: every figure comes from stored aggregates, plus the current hour computed live.

Closed days come from day rows; a day not yet aggregated (today, or any day the job has not reached)
from its hour rows; the hour in progress is computed from raw rows, which is at most an hour of
activity. No request scans more than that.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.analytics import histogram, schemas
from frontdesk.analytics.aggregate import Metrics, aggregate_range, compute, day_bounds, merge
from frontdesk.analytics.models import StatRow
from frontdesk.authz.service import OrgScope
from frontdesk.kit.errors import ValidationFailed
from frontdesk.orgs.models import Organization

MAX_DAYS = 366
DIMENSIONS = ("org", "inbox", "channel", "agent", "assistant", "flow")


def _now(session: AsyncSession) -> datetime:
    return session.info["runtime"].clock.now()


async def _org(session: AsyncSession, scope: OrgScope) -> Organization:
    org = await session.get(Organization, scope.organization_id)
    assert org is not None
    return org


async def period(session: AsyncSession, scope: OrgScope, start: date | None, end: date | None) -> tuple[date, date]:
    """The days asked for; by default the last seven, ending today in the organization's time zone."""
    org = await _org(session, scope)
    today = _now(session).astimezone(ZoneInfo(org.timezone or "UTC")).date()
    last = end or today
    first = start or (last - timedelta(days=6))
    _check_range(first, last)
    return first, last


def _check_range(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed("The period ends before it starts.", code="invalid_period")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(f"Ask for at most {MAX_DAYS} days at a time.", code="period_too_long")


Row = tuple[datetime, str, str, str, float, dict[str, Any] | None]


async def _rows(
    session: AsyncSession, org: uuid.UUID, granularity: str, start: datetime, end: datetime, dims: Iterable[str]
) -> list[Row]:
    # Plain tuples, not ORM objects: a 90-day overview reads thousands of rows, and building
    # mapped instances for them cost more than the query.
    result = await session.execute(
        select(StatRow.period_start, StatRow.dimension, StatRow.key, StatRow.metric, StatRow.value, StatRow.data).where(
            StatRow.organization_id == org,
            StatRow.granularity == granularity,
            StatRow.dimension.in_(list(dims)),
            StatRow.period_start >= start,
            StatRow.period_start < end,
        )
    )
    return [tuple(r) for r in result.all()]


async def figures(
    session: AsyncSession, org: Organization, first: date, last: date, dims: Iterable[str] = ("org",)
) -> Metrics:
    """All stored and live figures for local days ``first`` to ``last`` (inclusive)."""
    dims = tuple(dims)
    tz = org.timezone or "UTC"
    now = _now(session)
    start, _ = day_bounds(first, tz)
    _, end = day_bounds(last, tz)
    collected: list[tuple[str, str, str, float, dict[str, Any] | None]] = []
    days = await _rows(session, org.id, "day", start, end, dims)
    covered = {r[0] for r in days}
    collected += [r[1:] for r in days]
    hour_now = now.replace(minute=0, second=0, microsecond=0)
    # Days without a day row: their hours, as far as they are aggregated, then the live hour.
    day = first
    gaps: list[tuple[datetime, datetime]] = []
    while day <= last:
        s, e = day_bounds(day, tz)
        if s not in covered and s < now:
            gaps.append((s, e))
        day += timedelta(days=1)
    if gaps:
        hours = await _rows(session, org.id, "hour", gaps[0][0], gaps[-1][1], dims)
        inside = [r for r in hours if any(s <= r[0] < e for s, e in gaps) and r[0] < hour_now]
        collected += [r[1:] for r in inside]
        if any(s <= hour_now < e for s, e in gaps):
            live = await compute(session, org.id, hour_now, hour_now + timedelta(hours=1))
            collected += [(d, k, m, v, h) for (d, k, m), (v, h) in live.items() if d in dims]
    return merge(collected)


def _value(metrics: Metrics, dim: str, key: str, metric: str) -> float:
    return metrics.get((dim, key, metric), (0.0, None))[0]


def _hist(metrics: Metrics, dim: str, key: str, metric: str) -> dict[str, Any]:
    return metrics.get((dim, key, metric), (0.0, None))[1] or histogram.empty()


def headline(metrics: Metrics, dim: str = "org", key: str = "", days: int = 1) -> dict[str, float | None]:
    """The figures a manager reads first, for one dimension key."""

    def v(name: str) -> float:
        return _value(metrics, dim, key, name)

    resolved = v("conversations_resolved")
    out_total = sum(v(f"delivery.{s}") for s in ("sent", "delivered", "read", "failed"))
    csat_count = v("csat_count")
    first = _hist(metrics, dim, key, "first_response_time")
    done = _hist(metrics, dim, key, "resolution_time")
    figures: dict[str, float | None] = {
        "conversations_opened": v("conversations_opened"),
        "conversations_resolved": resolved,
        "conversations_escalated": v("conversations_escalated"),
        "ai_resolved": v("ai_resolved"),
        "ai_resolved_share": (v("ai_resolved") / resolved) if resolved else None,
        "messages_in": v("messages_in"),
        "messages_out": v("messages_out"),
        "first_response_mean": round(first["sum"] / first["n"], 1) if first["n"] else None,
        "first_response_median": histogram.percentile(first, 0.5),
        "first_response_p90": histogram.percentile(first, 0.9),
        "resolution_mean": round(done["sum"] / done["n"], 1) if done["n"] else None,
        "resolution_median": histogram.percentile(done, 0.5),
        "resolution_p90": histogram.percentile(done, 0.9),
        "csat_average": (v("csat_sum") / csat_count) if csat_count else None,
        "csat_count": csat_count,
        "contacts_new": v("contacts_new"),
        "contacts_active_daily": v("contacts_active") / days if days else None,
        "delivery_failed_rate": (v("delivery.failed") / out_total) if out_total else None,
        "delivery_read_rate": (v("delivery.read") / out_total) if out_total else None,
        "online_hours": v("online_seconds") / 3600,
    }
    # Figures other domains record (leads, meetings, flows, LLM usage) appear when they exist.
    for extra in (
        "leads_captured",
        "meetings_booked",
        "flow_started",
        "flow_completed",
        "flow_failed",
        "trigger_fired",
        "llm_tokens",
        "llm_cost",
    ):
        if (dim, key, extra) in metrics:
            figures[extra] = v(extra)
    return figures


def _scope_dim(inbox_id: uuid.UUID | None, channel: str | None) -> tuple[str, str]:
    if inbox_id and channel:
        raise ValidationFailed("Filter by an inbox or by a channel, not both.", code="invalid_filter")
    if inbox_id:
        return "inbox", str(inbox_id)
    if channel:
        return "channel", channel
    return "org", ""


async def overview(
    session: AsyncSession,
    scope: OrgScope,
    start: date,
    end: date,
    *,
    inbox_id: uuid.UUID | None = None,
    channel: str | None = None,
) -> schemas.Overview:
    _check_range(start, end)
    org = await _org(session, scope)
    dim, key = _scope_dim(inbox_id, channel)
    length = (end - start).days + 1
    prev_end = start - timedelta(days=1)
    prev_start = prev_end - timedelta(days=length - 1)
    now_figs = headline(await figures(session, org, start, end, (dim,)), dim, key, length)
    before = headline(await figures(session, org, prev_start, prev_end, (dim,)), dim, key, length)
    out = {}
    for name, value in now_figs.items():
        old = before.get(name)
        change = (value - old) / old if value is not None and old else None
        out[name] = schemas.Figure(value=value, previous=old, change=round(change, 4) if change is not None else None)
    return schemas.Overview(start=start, end=end, previous_start=prev_start, previous_end=prev_end, figures=out)


async def trends(
    session: AsyncSession,
    scope: OrgScope,
    start: date,
    end: date,
    *,
    granularity: str,
    metrics: list[str],
    inbox_id: uuid.UUID | None = None,
    channel: str | None = None,
) -> schemas.Trends:
    _check_range(start, end)
    if granularity not in ("hour", "day"):
        raise ValidationFailed("Granularity is hour or day.", code="invalid_granularity")
    if granularity == "hour" and (end - start).days + 1 > 14:
        raise ValidationFailed("Hourly trends cover at most 14 days.", code="period_too_long")
    org = await _org(session, scope)
    dim, key = _scope_dim(inbox_id, channel)
    tz = ZoneInfo(org.timezone or "UTC")
    points: list[schemas.TrendPoint] = []
    day = start
    while day <= end:
        if granularity == "day":
            figs = headline(await figures(session, org, day, day, (dim,)), dim, key)
            s, _ = day_bounds(day, org.timezone or "UTC")
            points.append(schemas.TrendPoint(period_start=s, values={m: figs.get(m) for m in metrics}))
        else:
            points += await _hours_of(session, org, day, dim, key, metrics)
        day += timedelta(days=1)
    del tz
    return schemas.Trends(granularity=granularity, metrics=metrics, points=points)


async def _hours_of(
    session: AsyncSession, org: Organization, day: date, dim: str, key: str, metrics: list[str]
) -> list[schemas.TrendPoint]:
    s, e = day_bounds(day, org.timezone or "UTC")
    now = _now(session)
    rows = await _rows(session, org.id, "hour", s, e, (dim,))
    by_hour: dict[datetime, list[tuple[str, str, str, float, dict[str, Any] | None]]] = {}
    for r in rows:
        by_hour.setdefault(r[0], []).append(r[1:])
    points = []
    hour = s
    current = now.replace(minute=0, second=0, microsecond=0)
    while hour < e and hour <= now:
        if hour == current:
            live = await compute(session, org.id, hour, hour + timedelta(hours=1))
            figs = headline({k: v for k, v in live.items() if k[0] == dim}, dim, key)
        else:
            figs = headline(merge(by_hour.get(hour, [])), dim, key)
        points.append(schemas.TrendPoint(period_start=hour, values={m: figs.get(m) for m in metrics}))
        hour += timedelta(hours=1)
    return points


async def breakdown(
    session: AsyncSession, scope: OrgScope, dimension: str, start: date, end: date, labels: dict[str, str]
) -> schemas.Breakdowns:
    """Per agent, inbox, channel, assistant or flow: the headline figures of each."""
    _check_range(start, end)
    if dimension not in DIMENSIONS or dimension == "org":
        raise ValidationFailed(f"Break down by one of {', '.join(DIMENSIONS[1:])}.", code="invalid_dimension")
    org = await _org(session, scope)
    metrics = await figures(session, org, start, end, (dimension,))
    keys = sorted({k for (d, k, _m) in metrics if d == dimension} | set(labels))
    days = (end - start).days + 1
    rows = [
        schemas.Breakdown(key=k, label=labels.get(k, k), values=headline(metrics, dimension, k, days)) for k in keys
    ]
    return schemas.Breakdowns(dimension=dimension, start=start, end=end, rows=rows)


async def distribution(session: AsyncSession, scope: OrgScope, start: date, end: date) -> schemas.Distribution:
    _check_range(start, end)
    org = await _org(session, scope)
    metrics = await figures(session, org, start, end, ("org", "channel"))
    by_type: dict[str, float] = {}
    by_channel: dict[str, float] = {}
    for (dim, key, metric), (value, _) in metrics.items():
        if dim == "org" and metric.startswith(("messages_in.", "messages_out.")) and ".by." not in metric:
            ctype = metric.split(".", 1)[1]
            by_type[ctype] = by_type.get(ctype, 0.0) + value
        if dim == "channel" and metric in ("messages_in", "messages_out"):
            by_channel[key] = by_channel.get(key, 0.0) + value
    return schemas.Distribution(start=start, end=end, by_type=by_type, by_channel=by_channel)


async def csat(session: AsyncSession, scope: OrgScope, start: date, end: date) -> schemas.Csat:
    _check_range(start, end)
    org = await _org(session, scope)
    metrics = await figures(session, org, start, end, ("org",))
    count = int(_value(metrics, "org", "", "csat_count"))
    total = _value(metrics, "org", "", "csat_sum")
    dist = {str(r): int(_value(metrics, "org", "", f"csat.{r}")) for r in range(1, 6)}
    return schemas.Csat(
        start=start, end=end, count=count, average=round(total / count, 3) if count else None, distribution=dist
    )


async def heatmap(session: AsyncSession, scope: OrgScope, start: date, end: date) -> list[list[float]]:
    """Conversations opened by local weekday (rows, Monday first) and hour (columns), from hour rows."""
    _check_range(start, end)
    org = await _org(session, scope)
    tz = ZoneInfo(org.timezone or "UTC")
    s, _ = day_bounds(start, org.timezone or "UTC")
    _, e = day_bounds(end, org.timezone or "UTC")
    grid = [[0.0] * 24 for _ in range(7)]
    hour_now = _now(session).replace(minute=0, second=0, microsecond=0)
    for start_at, _dim, _key, metric, value, _data in await _rows(session, org.id, "hour", s, e, ("org",)):
        if metric == "conversations_opened" and start_at < hour_now:
            local = start_at.astimezone(tz)
            grid[local.weekday()][local.hour] += value
    if s <= hour_now < e:
        live = await compute(session, org.id, hour_now, hour_now + timedelta(hours=1))
        local = hour_now.astimezone(tz)
        grid[local.weekday()][local.hour] += live.get(("org", "", "conversations_opened"), (0.0, None))[0]
    return grid


async def rerun(session: AsyncSession, scope: OrgScope, start: date, end: date) -> schemas.AggregateResult:
    _check_range(start, end)
    org = await _org(session, scope)
    now = _now(session)
    keep = timedelta(days=session.info["runtime"].settings.analytics_hourly_retention_days)
    days, written = await aggregate_range(session, org, start, end, now, hours_since=now - keep)
    return schemas.AggregateResult(days=days, rows=written)
