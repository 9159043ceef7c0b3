"""Business hours: is an inbox open now, in its own time zone?"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from frontdesk.kit.errors import ValidationFailed

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def validate(hours: dict[str, Any]) -> dict[str, list[list[str]]]:
    """``{"mon": [["09:00", "17:30"]], ...}``; days left out are closed; an empty dict is always open."""
    clean: dict[str, list[list[str]]] = {}
    for day, ranges in hours.items():
        if day not in DAYS:
            raise ValidationFailed(f"{day!r} is not a day; use {', '.join(DAYS)}.", code="invalid_business_hours")
        if not isinstance(ranges, list):
            raise ValidationFailed(
                f"Hours for {day} must be a list of [start, end] pairs.", code="invalid_business_hours"
            )
        out = []
        for pair in ranges:
            try:
                start, end = _parse(pair[0]), _parse(pair[1], end=True)
            except (ValueError, TypeError, IndexError, KeyError):
                raise ValidationFailed(
                    f'Hours for {day} must be ["HH:MM", "HH:MM"] pairs.', code="invalid_business_hours"
                ) from None
            if end <= start:
                raise ValidationFailed(f"On {day}, {pair[1]} is not after {pair[0]}.", code="invalid_business_hours")
            out.append([_format(start), _format(end)])
        clean[day] = out
    return clean


# "24:00" closes a day at midnight; as a time of day it cannot exist, so it is kept as minutes.
_MIDNIGHT = 24 * 60


def _parse(value: Any, *, end: bool = False) -> int:
    """Minutes since midnight of an "HH:MM" (end times may be "24:00"); the zone is the inbox's."""
    text = str(value)
    if end and text in ("24:00", "24:00:00"):
        return _MIDNIGHT
    parsed = time.fromisoformat(text)
    if parsed.tzinfo is not None:
        raise ValueError("business hours are local to the inbox's time zone")
    return parsed.hour * 60 + parsed.minute


def _format(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def is_open(hours: dict[str, Any], timezone: str, now: datetime) -> bool:
    if not hours:
        return True
    local = now.astimezone(ZoneInfo(timezone))
    today = DAYS[local.weekday()]
    current = local.hour * 60 + local.minute
    return any(_parse(a) <= current < _parse(b, end=True) for a, b in hours.get(today, []))
