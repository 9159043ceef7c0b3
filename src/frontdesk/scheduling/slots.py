"""Pure slot arithmetic: weekly hours in a zone → UTC windows → free slots. No database, no I/O.

Everything is computed in UTC instants. Local wall-clock time is used only to lay out the weekly
hours on each day (and to print slots back in the visitor's zone), so a DST change can never make a
slot that does not exist (02:30 on the spring-forward night) or collapse the two 01:30s of the
fall-back night into one: they are different instants and stay so.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from frontdesk.kit.errors import ValidationFailed

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
GRAIN = timedelta(minutes=5)


def zone(name: str) -> ZoneInfo:
    """A time zone by IANA name, or a 422 that says which name was wrong."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise ValidationFailed(f"Unknown time zone {name!r}.", code="invalid_timezone", details={"timezone": name})
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValidationFailed(
            f"Unknown time zone {name!r}: use an IANA name such as Europe/Paris.",
            code="invalid_timezone",
            details={"timezone": name},
        ) from exc


def exists(local: datetime) -> bool:
    """False for a wall-clock time skipped by a DST jump (it does not survive a UTC round trip)."""
    tz = local.tzinfo
    assert tz is not None
    back = local.astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def ambiguous(local: datetime) -> bool:
    """True for a wall-clock time that happens twice (the hour repeated when clocks go back)."""
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


def resolve_local(value: datetime, tz: ZoneInfo) -> datetime:
    """A client's datetime as a UTC instant; a naive one is wall-clock time in ``tz``.

    A naive time that does not exist, or exists twice, is refused rather than guessed: booking the
    wrong hour is worse than asking again with an offset.
    """
    try:
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        local = value.replace(tzinfo=tz)
        local.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValidationFailed("That date is out of range.", code="invalid_start") from exc
    if not exists(local):
        raise ValidationFailed(
            f"{value.isoformat()} does not exist in {tz.key}: the clocks skip it for daylight saving time.",
            code="nonexistent_local_time",
            details={"start": value.isoformat(), "timezone": tz.key},
        )
    if ambiguous(local):
        raise ValidationFailed(
            f"{value.isoformat()} happens twice in {tz.key} (clocks go back): send it with a UTC offset.",
            code="ambiguous_local_time",
            details={
                "start": value.isoformat(),
                "timezone": tz.key,
                "offsets": [
                    local.replace(fold=0).isoformat(),
                    local.replace(fold=1).isoformat(),
                ],
            },
        )
    return local.astimezone(UTC)


def parse_hhmm(text: str) -> time:
    try:
        hours, minutes = text.split(":")
        h, m = int(hours), int(minutes)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a time like 09:30") from exc
    if h == 24 and m == 0:
        return time.max
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"{text!r} is not a time like 09:30")
    return time(h, m)


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    if clock == time.max:
        # "24:00": midnight at the end of the day, whatever the offset was during it.
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    # fold=0 on a skipped time moves it forward by the jump, as the wall clock itself does.
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Schedule:
    """One host's weekly hours in their zone, and the dates they are off (in that zone)."""

    tz: ZoneInfo
    weekly: dict[str, list[tuple[time, time]]]
    days_off: frozenset[date]


def windows(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The host's open windows, as UTC instants, that intersect [start, end), unclipped."""
    out: list[tuple[datetime, datetime]] = []
    first = start.astimezone(schedule.tz).date() - timedelta(days=1)
    last = end.astimezone(schedule.tz).date() + timedelta(days=1)
    day = first
    while day <= last:
        if day not in schedule.days_off:
            for open_at, close_at in schedule.weekly.get(DAYS[day.weekday()], []):
                lo, hi = _at(day, open_at, schedule.tz), _at(day, close_at, schedule.tz)
                # Not clipped to ``start``: slots keep the grid of the window's opening (9:00, 9:15...).
                if lo < end and hi > start and lo < hi:
                    out.append((lo, hi))
        day += timedelta(days=1)
    out.sort()
    return out


class Busy:
    """Sorted busy intervals with a bisect lookup: O(log n) per candidate slot."""

    def __init__(self, intervals: Iterable[tuple[datetime, datetime]]) -> None:
        merged: list[tuple[datetime, datetime]] = []
        for lo, hi in sorted(intervals):
            if merged and lo <= merged[-1][1]:
                if hi > merged[-1][1]:
                    merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        self.starts = [lo for lo, _ in merged]
        self.intervals = merged

    def overlaps(self, lo: datetime, hi: datetime) -> bool:
        # The last interval starting before ``hi`` is the only one that can still reach past ``lo``.
        i = bisect.bisect_left(self.starts, hi) - 1
        return i >= 0 and self.intervals[i][1] > lo


def free_slots(
    open_windows: Sequence[tuple[datetime, datetime]],
    busy: Busy,
    *,
    duration: timedelta,
    step: timedelta,
    buffer_before: timedelta,
    buffer_after: timedelta,
    earliest: datetime,
    latest: datetime,
    limit: int | None = None,
    skip: Collection[datetime] = (),
) -> list[tuple[datetime, datetime]]:
    """Starts on the ``step`` grid of each window (in UTC) whose meeting plus buffers is free.

    ``skip``: starts already offered by another host, not worth checking again.
    """
    out: list[tuple[datetime, datetime]] = []
    for lo, hi in open_windows:
        begin = lo
        if begin < earliest:
            # Keep the grid anchored to the window's opening: 9:00, 9:15 ... not 9:07.
            skipped = (earliest - lo) // step
            begin = lo + skipped * step
            if begin < earliest:
                begin += step
        at = begin
        while at + duration <= hi and at <= latest:
            end = at + duration
            if at not in skip and not busy.overlaps(at - buffer_before, end + buffer_after):
                out.append((at, end))
                if limit is not None and len(out) >= limit:
                    return out
            at += step
    return out


def grains(start: datetime, end: datetime) -> list[datetime]:
    """The 5-minute grains [start, end) covers, aligned to the epoch so any two bookings agree."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    first = epoch + ((start - epoch) // GRAIN) * GRAIN
    out = []
    at = first
    while at < end:
        out.append(at)
        at += GRAIN
    return out
