"""The built-in calendar: bookings live in Frontdesk itself, read by agents through an ICS feed."""

from __future__ import annotations

from datetime import datetime

from frontdesk.scheduling.calendars.base import CalendarEvent, CalendarKind, EventRef, PluginState


class BuiltinCalendar:
    kind = CalendarKind.BUILTIN

    def __init__(self) -> None:
        self.state = PluginState()

    async def busy(self, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
        # Frontdesk's own bookings are already counted by the slot search.
        return []

    async def upsert_event(self, event: CalendarEvent, external_id: str | None) -> EventRef:
        return EventRef(external_id=event.uid)

    async def delete_event(self, external_id: str) -> None:
        return None
