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
                start, end = (time.fromisoformat(str(pair[0])), time.fromisoformat(str(pair[1])))
            except (ValueError, TypeError, IndexError, KeyError):
                raise ValidationFailed(
                    f'Hours for {day} must be ["HH:MM", "HH:MM"] pairs.', code="invalid_business_hours"
                ) from None
            if end <= start:
                raise ValidationFailed(f"On {day}, {pair[1]} is not after {pair[0]}.", code="invalid_business_hours")
            out.append([start.strftime("%H:%M"), end.strftime("%H:%M")])
        clean[day] = out
    return clean


def is_open(hours: dict[str, Any], timezone: str, now: datetime) -> bool:
    if not hours:
        return True
    local = now.astimezone(ZoneInfo(timezone))
    today = DAYS[local.weekday()]
    current = local.time().replace(tzinfo=None)
    return any(time.fromisoformat(a) <= current < time.fromisoformat(b) for a, b in hours.get(today, []))
