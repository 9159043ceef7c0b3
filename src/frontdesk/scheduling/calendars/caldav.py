"""CalDAV calendars (Nextcloud, Fastmail, iCloud, Radicale...) through the ``caldav`` client.

The client is synchronous, so every call runs in a worker thread with the connection's timeout.
Our events live at ``<calendar>/<uid>.ics``: a move PUTs the same resource again, a cancel deletes it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import quote

from frontdesk.scheduling.calendars.base import CalendarEvent, CalendarKind, CalendarUnavailable, EventRef, PluginState

OUR_UID_SUFFIX = "@frontdesk"


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC)
    raise ValueError(f"not a date: {value!r}")


class CalDAVCalendar:
    kind = CalendarKind.CALDAV

    def __init__(self, *, url: str, username: str | None, password: str | None, timeout: float) -> None:
        self.url = url if url.endswith("/") else url + "/"
        self.username = username
        self.password = password
        self.timeout = timeout
        self.state = PluginState()

    def _calendar(self) -> Any:
        from caldav.davclient import DAVClient

        client = DAVClient(
            url=self.url,
            username=self.username,
            password=self.password,
            timeout=max(int(self.timeout), 1),
            enable_rfc6764=False,
            require_tls=False,
        )
        return client, client.calendar(url=self.url)

    async def _run(self, fn: Any, *args: Any) -> Any:
        try:
            return await asyncio.wait_for(asyncio.to_thread(fn, *args), timeout=self.timeout * 3)
        except CalendarUnavailable:
            raise
        except Exception as exc:
            raise CalendarUnavailable(f"CalDAV server {self.url}: {exc!r}") from exc

    def _busy(self, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
        _, cal = self._calendar()
        out: list[tuple[datetime, datetime]] = []
        for obj in cal.search(start=lo, end=hi, event=True, expand=True):
            for comp in obj.icalendar_instance.walk("VEVENT"):
                if str(comp.get("uid", "")).endswith(OUR_UID_SUFFIX):
                    continue  # our own bookings are counted from Frontdesk's rows
                if str(comp.get("transp", "OPAQUE")).upper() == "TRANSPARENT":
                    continue
                if str(comp.get("status", "")).upper() == "CANCELLED":
                    continue
                start = _instant(comp.decoded("dtstart"))
                end = _instant(comp.decoded("dtend")) if comp.get("dtend") else start
                if end > lo and start < hi:
                    out.append((start, end))
        return out

    async def busy(self, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
        result: list[tuple[datetime, datetime]] = await self._run(self._busy, lo, hi)
        return result

    def _href(self, uid: str) -> str:
        return self.url + quote(uid, safe="") + ".ics"

    def _put(self, event: CalendarEvent, external_id: str | None) -> str:
        from caldav.calendarobjectresource import Event

        client, cal = self._calendar()
        href = external_id or self._href(event.uid)
        Event(client=client, url=href, data=event.ics, parent=cal).save(increase_seqno=False)
        return href

    async def upsert_event(self, event: CalendarEvent, external_id: str | None) -> EventRef:
        href: str = await self._run(self._put, event, external_id)
        return EventRef(external_id=href)

    def _delete(self, external_id: str) -> None:
        from caldav.calendarobjectresource import Event
        from caldav.lib.error import NotFoundError

        client, cal = self._calendar()
        try:
            Event(client=client, url=external_id, parent=cal).delete()
        except NotFoundError:
            return  # already gone: deleting twice is fine

    async def delete_event(self, external_id: str) -> None:
        await self._run(self._delete, external_id)
