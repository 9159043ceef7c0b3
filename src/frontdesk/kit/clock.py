"""Time as a dependency, so tests can move it and jobs can be shown to run when due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Protocol

from pydantic import AfterValidator


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC, so say so."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_input(value: datetime) -> datetime:
    # 9999-12-31T23:00-05:00 is a valid datetime that has no UTC form; converting it later, while
    # binding a query, would be a 500 rather than this 422.
    try:
        return as_utc(value)
    except OverflowError as exc:
        raise ValueError("the date is out of range once converted to UTC") from exc


UtcDateTime = Annotated[datetime, AfterValidator(_utc_input)]
"""A datetime a client sends: naive means UTC, and it comes out aware, so it compares with ours."""


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = as_utc(start or utcnow())

    def now(self) -> datetime:
        return self._now

    def advance(self, **kwargs: float) -> datetime:
        self._now += timedelta(**kwargs)
        return self._now

    def set(self, value: datetime) -> None:
        self._now = as_utc(value)
