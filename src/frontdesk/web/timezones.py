"""Time zones offered in the forms: the canonical Area/City names, not the legacy aliases."""

from __future__ import annotations

from zoneinfo import available_timezones

_AREAS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)

TIMEZONES: tuple[str, ...] = ("UTC", *sorted(z for z in available_timezones() if z.startswith(_AREAS)))


def timezone_options(current: str) -> tuple[str, ...]:
    """The list, plus the current value when it was set to an alias elsewhere (the API accepts those)."""
    return TIMEZONES if current in TIMEZONES else (current, *TIMEZONES)
