"""Slot arithmetic across daylight-saving changes, busy intervals and zones that do not exist."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from frontdesk.kit.errors import ValidationFailed
from frontdesk.scheduling.slots import Busy, Schedule, free_slots, grains, resolve_local, windows, zone

NY = zone("America/New_York")


def _slots(schedule: Schedule, day: date, *, busy: Busy | None = None, step: int = 60) -> list[datetime]:
    lo = datetime.combine(day, time(0), tzinfo=schedule.tz).astimezone(UTC)
    hi = lo + timedelta(days=1)
    found = free_slots(
        windows(schedule, lo, hi),
        busy or Busy([]),
        duration=timedelta(minutes=60),
        step=timedelta(minutes=step),
        buffer_before=timedelta(0),
        buffer_after=timedelta(0),
        earliest=lo,
        latest=hi,
    )
    return [s for s, _ in found]


def test_spring_forward_has_no_0230_slot_and_every_slot_exists() -> None:
    # 14 March 2027: New York clocks jump from 02:00 to 03:00.
    sched = Schedule(tz=NY, weekly={"sun": [(time(0), time(5))]}, days_off=frozenset())
    starts = _slots(sched, date(2027, 3, 14))
    local = [s.astimezone(NY).strftime("%H:%M %Z") for s in starts]
    # 00:00 to 05:00 local is only four real hours that night.
    assert local == ["00:00 EST", "01:00 EST", "03:00 EDT", "04:00 EDT"]
    with pytest.raises(ValidationFailed) as err:
        resolve_local(datetime(2027, 3, 14, 2, 30), NY)
    assert err.value.code == "nonexistent_local_time"


def test_fall_back_offers_both_0130s_as_different_instants() -> None:
    # 7 November 2027: New York clocks go back from 02:00 EDT to 01:00 EST.
    sched = Schedule(tz=NY, weekly={"sun": [(time(0), time(3))]}, days_off=frozenset())
    starts = _slots(sched, date(2027, 11, 7), step=30)
    local = [s.astimezone(NY).strftime("%H:%M %Z") for s in starts]
    assert "01:30 EDT" in local and "01:30 EST" in local
    assert len(set(starts)) == len(starts) == 7  # four real hours minus the last hour, every 30 minutes
    with pytest.raises(ValidationFailed) as err:
        resolve_local(datetime(2027, 11, 7, 1, 30), NY)
    assert err.value.code == "ambiguous_local_time"
    assert len(err.value.details["offsets"]) == 2
    # With an offset it is unambiguous.
    assert resolve_local(datetime(2027, 11, 7, 1, 30, tzinfo=zone("UTC")), NY).hour == 1


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../etc/passwd", "UTC+25", "x" * 100])
def test_unknown_zones_are_422(name: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        zone(name)
    assert err.value.code == "invalid_timezone"
    assert err.value.status_code == 422


def test_days_off_and_busy_intervals_remove_slots() -> None:
    london = zone("Europe/London")
    sched = Schedule(
        tz=london,
        weekly={"mon": [(time(9), time(12))], "tue": [(time(9), time(12))]},
        days_off=frozenset({date(2027, 3, 9)}),
    )
    assert _slots(sched, date(2027, 3, 9)) == []
    busy = Busy([(datetime(2027, 3, 8, 10, 30, tzinfo=UTC), datetime(2027, 3, 8, 10, 45, tzinfo=UTC))])
    starts = _slots(sched, date(2027, 3, 8), busy=busy, step=15)
    hhmm = [s.strftime("%H:%M") for s in starts]
    assert "09:30" in hhmm and "10:45" in hhmm
    assert not {"09:45", "10:00", "10:15", "10:30"} & set(hhmm)


def test_busy_merges_and_touching_intervals_do_not_overlap() -> None:
    t = datetime(2027, 1, 1, tzinfo=UTC)
    busy = Busy([(t, t + timedelta(hours=1)), (t + timedelta(minutes=30), t + timedelta(hours=2))])
    assert busy.intervals == [(t, t + timedelta(hours=2))]
    assert not busy.overlaps(t + timedelta(hours=2), t + timedelta(hours=3))
    assert busy.overlaps(t + timedelta(minutes=119), t + timedelta(hours=3))
    assert not busy.overlaps(t - timedelta(hours=1), t)


def test_grains_cover_a_booking_on_a_shared_grid() -> None:
    start = datetime(2027, 3, 9, 10, 0, tzinfo=UTC)
    assert len(grains(start, start + timedelta(minutes=30))) == 6
    # Two overlapping bookings share at least one grain: that is what the unique key catches.
    a = set(grains(start, start + timedelta(minutes=30)))
    b = set(grains(start + timedelta(minutes=25), start + timedelta(minutes=55)))
    assert a & b


def test_slots_keep_the_window_grid_when_the_search_starts_mid_window() -> None:
    utc = zone("UTC")
    sched = Schedule(tz=utc, weekly={"mon": [(time(9), time(12))]}, days_off=frozenset())
    earliest = datetime(2027, 3, 8, 10, 7, 31, tzinfo=UTC)
    found = free_slots(
        windows(sched, earliest, earliest + timedelta(hours=5)),
        Busy([]),
        duration=timedelta(minutes=30),
        step=timedelta(minutes=15),
        buffer_before=timedelta(0),
        buffer_after=timedelta(0),
        earliest=earliest,
        latest=earliest + timedelta(hours=5),
    )
    assert found[0][0] == datetime(2027, 3, 8, 10, 15, tzinfo=UTC)
    assert all(s.second == 0 and s.minute % 15 == 0 for s, _ in found)
