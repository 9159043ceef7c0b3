"""Every analytics answer as CSV too: the same figures, one row per line, for spreadsheets."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import Response

from frontdesk.analytics import schemas


def _safe(value: Any) -> Any:
    # Labels are names people typed; a spreadsheet must not run them as formulas.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _csv(header: list[str], rows: list[list[Any]], name: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[_safe(v) for v in row] for row in rows])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def overview_csv(o: schemas.Overview) -> Response:
    rows = [[k, f.value, f.previous, f.change] for k, f in o.figures.items()]
    return _csv(["figure", "value", "previous", "change"], rows, f"overview-{o.start}-{o.end}")


def trends_csv(t: schemas.Trends) -> Response:
    rows = [[p.period_start.isoformat(), *[p.values.get(m) for m in t.metrics]] for p in t.points]
    return _csv(["period_start", *t.metrics], rows, f"trends-{t.granularity}")


def breakdown_csv(b: schemas.Breakdowns) -> Response:
    names = sorted({k for r in b.rows for k in r.values})
    rows = [[r.key, r.label, *[r.values.get(n) for n in names]] for r in b.rows]
    return _csv(["key", "label", *names], rows, f"{b.dimension}-{b.start}-{b.end}")


def distribution_csv(d: schemas.Distribution) -> Response:
    rows = [["type", k, v] for k, v in d.by_type.items()] + [["channel", k, v] for k, v in d.by_channel.items()]
    return _csv(["by", "key", "messages"], rows, f"distribution-{d.start}-{d.end}")


def csat_csv(c: schemas.Csat) -> Response:
    rows = [[rating, count] for rating, count in c.distribution.items()]
    return _csv(["rating", "count"], rows, f"csat-{c.start}-{c.end}")
