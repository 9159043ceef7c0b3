from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class Figure(BaseModel):
    value: float | None
    previous: float | None = None
    change: float | None = Field(None, description="Relative change against the previous period, e.g. 0.25 for +25 %")


class Overview(BaseModel):
    start: date
    end: date
    previous_start: date
    previous_end: date
    figures: dict[str, Figure]


class TrendPoint(BaseModel):
    period_start: datetime
    values: dict[str, float | None]


class Trends(BaseModel):
    granularity: Literal["hour", "day"]
    metrics: list[str]
    points: list[TrendPoint]


class Breakdown(BaseModel):
    key: str
    label: str
    values: dict[str, float | None]


class Breakdowns(BaseModel):
    dimension: str
    start: date
    end: date
    rows: list[Breakdown]


class Distribution(BaseModel):
    start: date
    end: date
    by_type: dict[str, float]
    by_channel: dict[str, float]


class Csat(BaseModel):
    start: date
    end: date
    count: int
    average: float | None
    distribution: dict[str, int]


class AggregateRequest(BaseModel):
    start: date
    end: date


class AggregateResult(BaseModel):
    days: int
    rows: int
