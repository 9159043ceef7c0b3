"""The aggregation schedule: every hour the hour that just closed, and after each organization's local
midnight the day that just ended; then aggregates past their retention are dropped."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import delete, select

from frontdesk.analytics.aggregate import aggregate_day, aggregate_hour, day_bounds, org_ids
from frontdesk.analytics.models import StatRow
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import JobContext, next_hour, recurring

log = structlog.get_logger("frontdesk.analytics")

# Days looked back for a missing day row: a server that was down over midnight catches up once.
CATCH_UP_DAYS = 3


@recurring("analytics.aggregate", next_hour)
async def aggregate(ctx: JobContext) -> None:
    now = ctx.runtime.clock.now()
    closed_hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    async with transaction(ctx.runtime.read_sessionmaker) as session:
        orgs = await org_ids(session)
    for org_id, tz in orgs:
        # One organization per transaction: a big one does not hold the writer for everyone.
        async with transaction(ctx.runtime.sessionmaker) as session:
            await aggregate_hour(session, org_id, closed_hour, now)
            today = now.astimezone(ZoneInfo(tz)).date()
            have = set(
                await session.scalars(
                    select(StatRow.period_start)
                    .where(
                        StatRow.organization_id == org_id,
                        StatRow.granularity == "day",
                        StatRow.period_start >= day_bounds(today - timedelta(days=CATCH_UP_DAYS), tz)[0],
                    )
                    .distinct()
                )
            )
            for back in range(1, CATCH_UP_DAYS + 1):
                day = today - timedelta(days=back)
                if day_bounds(day, tz)[0] not in have:
                    await aggregate_day(session, org_id, day, tz, now)
    settings = ctx.runtime.settings
    async with transaction(ctx.runtime.sessionmaker) as session:
        for granularity, days in (
            ("hour", settings.analytics_hourly_retention_days),
            ("day", settings.analytics_daily_retention_days),
        ):
            await session.execute(
                delete(StatRow).where(
                    StatRow.granularity == granularity, StatRow.period_start < now - timedelta(days=days)
                )
            )
    log.info("analytics_aggregated", organizations=len(orgs), hour=closed_hour.isoformat())
