"""SVG charts drawn on the server: lines for trends, bars for distributions, a heat map by weekday and hour.

Colours come from CSS classes (``static/css/charts.css``), not from the SVG, so the same markup is
right in the light and the dark theme and in forced-colours mode. Every chart is an ``<svg
role="img">`` with a ``<title>`` and a ``<desc>`` that states the figures in words, and the page
puts the same numbers in a table next to it. Labels are escaped: they can be names people typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 40


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.2f}"


def _ceiling(value: float) -> float:
    """A round top for the value axis, so gridlines fall on readable numbers."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(value)


def _frame(uid: str, title: str, desc: str, kind: str, height: int = HEIGHT) -> list[str]:
    uid = escape(uid)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{uid}-title {uid}-desc" focusable="false">',
        f'<title id="{uid}-title">{escape(title)}</title><desc id="{uid}-desc">{escape(desc)}</desc>',
    ]


def _axes(top: float, labels: list[str], out: list[str]) -> None:
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        y = TOP + plot_h - plot_h * i / 4
        out.append(f'<line class="chart-grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        out.append(
            f'<text class="chart-label" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(top * i / 4)}</text>'
        )
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    every = max(1, -(-len(labels) // 10))
    for i, label in enumerate(labels):
        if i % every == 0:
            x = LEFT + slot * (i + 0.5)
            out.append(
                f'<text class="chart-label" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                f"{escape(label[:14])}</text>"
            )


def describe(series: list[Series], labels: list[str]) -> str:
    parts = []
    for s in series:
        if not s.values or not any(s.values):
            parts.append(f"{s.name}: none.")
            continue
        peak = max(range(len(s.values)), key=lambda i: s.values[i])
        parts.append(f"{s.name}: {_fmt(sum(s.values))} in total, most ({_fmt(s.values[peak])}) at {labels[peak]}.")
    return " ".join(parts) or "No data."


def line_chart(uid: str, title: str, labels: list[str], series: list[Series], desc: str | None = None) -> str:
    top = _ceiling(max((v for s in series for v in s.values), default=0.0))
    out = _frame(uid, title, desc or describe(series, labels), "line")
    _axes(top, labels, out)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    for k, s in enumerate(series):
        points = " ".join(
            f"{LEFT + slot * (i + 0.5):.1f},{TOP + plot_h - plot_h * v / top:.1f}" for i, v in enumerate(s.values)
        )
        out.append(f'<polyline class="chart-series chart-s{k % 4}" fill="none" points="{points}"/>')
        for i, v in enumerate(s.values):
            x, y = LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * v / top
            out.append(
                f'<circle class="chart-dot chart-s{k % 4}" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                f"<title>{escape(f'{s.name}, {labels[i]}: {_fmt(v)}')}</title></circle>"
            )
    _legend(series, out)
    out.append("</svg>")
    return "".join(out)


def bar_chart(uid: str, title: str, labels: list[str], series: list[Series], desc: str | None = None) -> str:
    top = _ceiling(max((v for s in series for v in s.values), default=0.0))
    out = _frame(uid, title, desc or describe(series, labels), "bar")
    _axes(top, labels, out)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    width = slot * 0.8 / max(1, len(series))
    for k, s in enumerate(series):
        for i, v in enumerate(s.values):
            h = plot_h * v / top
            x = LEFT + slot * i + slot * 0.1 + width * k
            tip = escape(f"{s.name}, {labels[i]}: {_fmt(v)}")
            out.append(
                f'<rect class="chart-bar chart-s{k % 4}" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" '
                f'width="{width:.1f}" height="{h:.1f}"><title>{tip}</title></rect>'
            )
    _legend(series, out)
    out.append("</svg>")
    return "".join(out)


def _legend(series: list[Series], out: list[str]) -> None:
    if len(series) < 2:
        return
    for k, s in enumerate(series):
        x = LEFT + k * 170
        out.append(f'<rect class="chart-bar chart-s{k % 4}" x="{x}" y="{HEIGHT - 14}" width="10" height="10"/>')
        out.append(f'<text class="chart-label" x="{x + 14}" y="{HEIGHT - 5}">{escape(s.name)}</text>')


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def heat_map(uid: str, title: str, grid: list[list[float]]) -> str:
    """Rows are weekdays (Monday first), columns hours 0-23; darker is more. Five shades, by quintile of the peak."""
    peak = max((v for row in grid for v in row), default=0.0)
    cell_w, cell_h, left, top = (WIDTH - 60) / 24, 24, 44, 8
    busiest = max(((d, h) for d in range(7) for h in range(24)), key=lambda p: grid[p[0]][p[1]])
    desc = (
        "No conversations in this period."
        if peak == 0
        else f"Busiest: {DAYS[busiest[0]]} {busiest[1]:02d}:00 with {_fmt(peak)} conversations."
    )
    out = _frame(uid, title, desc, "heat", top + 7 * cell_h + 28)
    for d, row in enumerate(grid):
        y = top + d * cell_h
        out.append(f'<text class="chart-label" x="{left - 6}" y="{y + 16}" text-anchor="end">{DAYS[d]}</text>')
        for h, v in enumerate(row):
            shade = 0 if peak == 0 or v == 0 else min(5, 1 + int(4 * v / peak))
            x = left + h * cell_w
            out.append(
                f'<rect class="heat heat-{shade}" x="{x:.1f}" y="{y}" width="{cell_w - 2:.1f}" height="{cell_h - 2}">'
                f"<title>{DAYS[d]} {h:02d}:00: {_fmt(v)}</title></rect>"
            )
    for h in range(0, 24, 3):
        out.append(
            f'<text class="chart-label" x="{left + h * cell_w + cell_w / 2:.1f}" y="{top + 7 * cell_h + 16}" '
            f'text-anchor="middle">{h:02d}</text>'
        )
    out.append("</svg>")
    return "".join(out)
