"""Dashboards: how the front desk did over a period, and who needs help.

Everything on these pages comes from the analytics service (stored aggregates and the live hour);
the charts are SVG drawn here, each with its numbers in a table beside it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Response

from frontdesk.analytics import service
from frontdesk.analytics.labels import labels_for
from frontdesk.authz.service import require
from frontdesk.kit.errors import NotFound
from frontdesk.web import charts
from frontdesk.web.dependencies import Page, PageRoute, UserPage

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PRESETS = (("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days"))
DRILLS = {
    "agents": ("agent", "Agents"),
    "inboxes": ("inbox", "Inboxes"),
    "channels": ("channel", "Channels"),
    "assistants": ("assistant", "Assistants"),
    "flows": ("flow", "Flows"),
}
# What the breakdown tables show, in order, with how to print each.
COLUMNS = (
    ("conversations_opened", "Opened", "n"),
    ("conversations_resolved", "Resolved", "n"),
    ("conversations_escalated", "Escalated", "n"),
    ("messages_out", "Messages sent", "n"),
    ("first_response_median", "First response (median)", "t"),
    ("resolution_median", "Resolution (median)", "t"),
    ("csat_average", "CSAT", "r"),
    ("online_hours", "Online hours", "h"),
    ("delivery_failed_rate", "Failed deliveries", "%"),
)


def show(value: Any, how: str) -> str:
    if value is None:
        return "\u2013"  # an en dash: no figure
    if how == "t":
        seconds = float(value)
        if seconds < 90:
            return f"{seconds:.0f} s"
        if seconds < 5400:
            return f"{seconds / 60:.0f} min"
        return f"{seconds / 3600:.1f} h"
    if how == "%":
        return f"{float(value) * 100:.1f} %"
    if how == "r":
        return f"{float(value):.2f}"
    if how == "h":
        return f"{float(value):.1f}"
    return f"{float(value):,.0f}"


async def _period(page: Page) -> tuple[date, date, str]:
    scope = require(page.actor, "analytics.read")
    params = page.request.query_params
    preset = params.get("days", "7")

    def parse(raw: str | None) -> date | None:
        try:
            return date.fromisoformat(raw) if raw else None
        except ValueError:
            return None

    start, end = parse(params.get("start")), parse(params.get("end"))
    if start and end and start <= end:
        first, last = await service.period(page.session, scope, start, end)
        return first, last, "custom"
    days = int(preset) if preset in ("7", "30", "90") else 7
    _, today = await service.period(page.session, scope, None, None)
    return today - timedelta(days=days - 1), today, str(days)


def _base(page: Page, first: date, last: date, preset: str) -> dict[str, Any]:
    return {
        "sections": [],
        "current": "/app/analytics",
        "first": first,
        "last": last,
        "preset": preset,
        "presets": PRESETS,
        "drills": DRILLS,
        "show": show,
        "query": f"start={first}&end={last}",
    }


@router.get("/app/analytics")
async def analytics_page(page: UserPage) -> Response:
    scope = require(page.actor, "analytics.read")
    first, last, preset = await _period(page)
    overview = await service.overview(page.session, scope, first, last)
    names = ["conversations_opened", "conversations_resolved", "conversations_escalated"]
    trend = await service.trends(page.session, scope, first, last, granularity="day", metrics=names)
    labels = [p.period_start.strftime("%d %b") for p in trend.points]
    series = [
        charts.Series("Opened", [p.values["conversations_opened"] or 0 for p in trend.points]),
        charts.Series("Resolved", [p.values["conversations_resolved"] or 0 for p in trend.points]),
        charts.Series("Escalated", [p.values["conversations_escalated"] or 0 for p in trend.points]),
    ]
    dist = await service.distribution(page.session, scope, first, last)
    grid = await service.heatmap(page.session, scope, max(first, last - timedelta(days=6)), last)
    figures = overview.figures
    by_type = sorted(dist.by_type.items(), key=lambda kv: -kv[1])
    return page.render(
        "analytics/overview.html",
        **_base(page, first, last, preset),
        figures=figures,
        trend_svg=charts.line_chart("trend", "Conversations per day", labels, series),
        trend_rows=list(zip(labels, *[s.values for s in series], strict=True)),
        type_svg=charts.bar_chart(
            "types", "Messages by type", [k for k, _ in by_type], [charts.Series("Messages", [v for _, v in by_type])]
        ),
        by_type=by_type,
        by_channel=sorted(dist.by_channel.items(), key=lambda kv: -kv[1]),
        heat_svg=charts.heat_map("heat", "Conversations opened by weekday and hour (last 7 days of the period)", grid),
        grid=grid,
        days=charts.DAYS,
    )


@router.get("/app/analytics/{what}")
async def analytics_drill_page(what: str, page: UserPage) -> Response:
    if what not in DRILLS:
        raise NotFound("No such dashboard.")
    scope = require(page.actor, "analytics.read")
    dimension, title = DRILLS[what]
    first, last, preset = await _period(page)
    labels = await labels_for(page.session, scope, dimension)
    table = await service.breakdown(page.session, scope, dimension, first, last, labels)
    rows = sorted(table.rows, key=lambda r: -(r.values.get("conversations_resolved") or 0))
    chart = charts.bar_chart(
        f"drill-{what}",
        f"Conversations resolved per {dimension}",
        [r.label for r in rows[:20]],
        [charts.Series("Resolved", [r.values.get("conversations_resolved") or 0 for r in rows[:20]])],
    )
    return page.render(
        "analytics/breakdown.html",
        **_base(page, first, last, preset),
        what=what,
        title=title,
        rows=rows,
        columns=COLUMNS,
        chart=chart,
    )
