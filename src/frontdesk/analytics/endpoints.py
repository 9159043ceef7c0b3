"""Analytics for the current organization. Every GET answers JSON, or CSV with ``format=csv``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from frontdesk.analytics import export, schemas, service
from frontdesk.analytics.labels import labels_for
from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.kit.errors import ValidationFailed

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

Format = Literal["json", "csv"]


class Period(BaseModel):
    start: date | None = Field(None, description="First day, in the organization's time zone (default: 6 days ago)")
    end: date | None = Field(None, description="Last day, inclusive (default: today)")
    inbox_id: uuid.UUID | None = None
    channel: str | None = Field(None, max_length=20)
    format: Format = "json"


PeriodDep = Annotated[Period, Depends()]


@router.get(
    "/overview", response_model=schemas.Overview, summary="Headline figures, with change against the period before"
)
async def analytics_overview(session: Session, subject: Subject, period: PeriodDep) -> Any:
    scope = require(subject, "analytics.read")
    first, last = await service.period(session, scope, period.start, period.end)
    result = await service.overview(session, scope, first, last, inbox_id=period.inbox_id, channel=period.channel)
    return export.overview_csv(result) if period.format == "csv" else result


@router.get("/trends", response_model=schemas.Trends, summary="Figures per hour or per day over a range")
async def analytics_trends(
    session: Session,
    subject: Subject,
    period: PeriodDep,
    granularity: Literal["hour", "day"] = "day",
    metrics: Annotated[str, Query(max_length=500)] = "conversations_opened,conversations_resolved,messages_in",
) -> Any:
    names = [m.strip() for m in metrics.split(",") if m.strip()]
    if not names:
        raise ValidationFailed("Name at least one metric.", code="metrics_required")
    scope = require(subject, "analytics.read")
    first, last = await service.period(session, scope, period.start, period.end)
    result = await service.trends(
        session,
        scope,
        first,
        last,
        granularity=granularity,
        metrics=names,
        inbox_id=period.inbox_id,
        channel=period.channel,
    )
    return export.trends_csv(result) if period.format == "csv" else result


async def _breakdown(session: Any, subject: Any, period: Period, dimension: str) -> Any:
    scope = require(subject, "analytics.read")
    first, last = await service.period(session, scope, period.start, period.end)
    labels = await labels_for(session, scope, dimension)
    result = await service.breakdown(session, scope, dimension, first, last, labels)
    return export.breakdown_csv(result) if period.format == "csv" else result


@router.get(
    "/agents",
    response_model=schemas.Breakdowns,
    summary="Per agent: handled, response and resolution times, CSAT, online hours",
)
async def analytics_agents(session: Session, subject: Subject, period: PeriodDep) -> Any:
    return await _breakdown(session, subject, period, "agent")


@router.get("/inboxes", response_model=schemas.Breakdowns, summary="Per inbox")
async def analytics_inboxes(session: Session, subject: Subject, period: PeriodDep) -> Any:
    return await _breakdown(session, subject, period, "inbox")


@router.get("/channels", response_model=schemas.Breakdowns, summary="Per channel, with delivery rates")
async def analytics_channels(session: Session, subject: Subject, period: PeriodDep) -> Any:
    return await _breakdown(session, subject, period, "channel")


@router.get("/assistants", response_model=schemas.Breakdowns, summary="Per assistant")
async def analytics_assistants(session: Session, subject: Subject, period: PeriodDep) -> Any:
    return await _breakdown(session, subject, period, "assistant")


@router.get("/flows", response_model=schemas.Breakdowns, summary="Per bot flow")
async def analytics_flows(session: Session, subject: Subject, period: PeriodDep) -> Any:
    return await _breakdown(session, subject, period, "flow")


@router.get("/distribution", response_model=schemas.Distribution, summary="Messages by content type and by channel")
async def analytics_distribution(session: Session, subject: Subject, period: PeriodDep) -> Any:
    scope = require(subject, "analytics.read")
    result = await service.distribution(session, scope, *await service.period(session, scope, period.start, period.end))
    return export.distribution_csv(result) if period.format == "csv" else result


@router.get("/csat", response_model=schemas.Csat, summary="Customer satisfaction: average and distribution")
async def analytics_csat(session: Session, subject: Subject, period: PeriodDep) -> Any:
    scope = require(subject, "analytics.read")
    result = await service.csat(session, scope, *await service.period(session, scope, period.start, period.end))
    return export.csat_csv(result) if period.format == "csv" else result


@router.post(
    "/aggregate", response_model=schemas.AggregateResult, summary="Re-run aggregation for a date range (admins)"
)
async def analytics_aggregate(
    data: schemas.AggregateRequest, session: Session, subject: Subject
) -> schemas.AggregateResult:
    if (data.end - data.start).days + 1 > 92:
        raise ValidationFailed("Re-run at most 92 days at a time.", code="period_too_long")
    return await service.rerun(session, require(subject, "org.update"), data.start, data.end)
