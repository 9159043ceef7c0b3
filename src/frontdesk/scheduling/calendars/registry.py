"""The explicit registry of calendar plugins, keyed by kind; one instance per use."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from frontdesk.config import Settings
from frontdesk.scheduling.calendars.base import CalendarKind, CalendarPlugin
from frontdesk.scheduling.models import CalendarConnection

Factory = Callable[[CalendarConnection, dict[str, Any], Settings], CalendarPlugin]


def _builtin(conn: CalendarConnection, secret: dict[str, Any], settings: Settings) -> CalendarPlugin:
    from frontdesk.scheduling.calendars.builtin import BuiltinCalendar

    return BuiltinCalendar()


def _caldav(conn: CalendarConnection, secret: dict[str, Any], settings: Settings) -> CalendarPlugin:
    from frontdesk.scheduling.calendars.caldav import CalDAVCalendar

    return CalDAVCalendar(
        url=conn.config["url"],
        username=conn.config.get("username") or None,
        password=secret.get("password"),
        timeout=settings.calendar_timeout_seconds,
    )


def _google(conn: CalendarConnection, secret: dict[str, Any], settings: Settings) -> CalendarPlugin:
    from frontdesk.scheduling.calendars.google import GoogleCalendar

    return GoogleCalendar(settings=settings, calendar_id=conn.config.get("calendar_id") or "primary", secret=secret)


REGISTRY: dict[CalendarKind, Factory] = {
    CalendarKind.BUILTIN: _builtin,
    CalendarKind.CALDAV: _caldav,
    CalendarKind.GOOGLE: _google,
}


def make(conn: CalendarConnection, *, settings: Settings, decrypt: Callable[[str], str]) -> CalendarPlugin:
    secret = json.loads(decrypt(conn.secret_encrypted)) if conn.secret_encrypted else {}
    return REGISTRY[CalendarKind(conn.kind)](conn, secret, settings)
