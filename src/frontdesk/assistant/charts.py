"""Charts for the staff assistant: the data of a chart, its words, and its SVG from ``web/charts.py``.

No JavaScript draws them: the page stays within its strict Content-Security-Policy, and a chart is
the same in the browser, in an email or in a screenshot. Each chart is accessible on its own: the
``<svg>`` has ``role="img"`` with a ``<title>`` and a ``<desc>`` (which states the figures in words),
and every chart comes with a data table (:func:`table`) that a screen reader can walk.

Every piece of text goes through :func:`html.escape`: labels come from data people typed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Series:
    name: str
    values: list[float]


@dataclass
class Chart:
    title: str
    labels: list[str]
    series: list[Series]
    kind: str = "bar"  # "bar" or "line"
    unit: str = ""
    id: str = field(default_factory=lambda: "chart-" + uuid.uuid4().hex[:8])

    def describe(self) -> str:
        """The figures in words: what the ``<desc>`` says to people who cannot see the bars."""
        parts = []
        for s in self.series:
            if not s.values:
                continue
            top = max(range(len(s.values)), key=lambda i: s.values[i])
            total = sum(s.values)
            parts.append(
                f"{s.name}: {_fmt(total)} in total over {len(s.values)} points, "
                f"highest {_fmt(s.values[top])} at {self.labels[top] if top < len(self.labels) else top}."
            )
        return " ".join(parts) or "No data."

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": "chart",
            "kind": self.kind,
            "title": self.title,
            "labels": self.labels,
            "series": [{"name": s.name, "values": s.values} for s in self.series],
            "description": self.describe(),
            "svg": render(self),
        }


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def render(chart: Chart) -> str:
    """The chart as a standalone ``<svg>`` string, drawn like every other chart in the app."""
    from frontdesk.web import charts as svg

    labels = [str(label) for label in chart.labels]
    series = [svg.Series(s.name, [float(v) for v in s.values]) for s in chart.series]
    draw = svg.line_chart if chart.kind == "line" else svg.bar_chart
    return draw(chart.id, chart.title, labels, series, desc=chart.describe())


def table(title: str, columns: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    """A table block: the same shape the page renders and the API returns."""
    return {"type": "table", "title": title, "columns": columns, "rows": [[_cell(v) for v in r] for r in rows]}


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    return value if isinstance(value, int | str) or value is None else str(value)


def chart_table(chart: Chart) -> dict[str, Any]:
    """The data behind a chart as a table, shown with it."""
    columns = ["", *(s.name for s in chart.series)]
    rows = [
        [label, *(s.values[i] if i < len(s.values) else None for s in chart.series)]
        for i, label in enumerate(chart.labels)
    ]
    return table(chart.title, columns, rows)
