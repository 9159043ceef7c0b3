"""Google Calendar through google-api-python-client: events with a Meet link, busy from freeBusy.

The client is synchronous (httplib2), so each call runs in a worker thread. With
``FRONTDESK_GOOGLE_CALENDAR_API_URL`` set (tests, proxies) the client reads its discovery document
from there and sends every call there instead of www.googleapis.com.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from frontdesk.config import Settings
from frontdesk.scheduling.calendars.base import CalendarEvent, CalendarKind, CalendarUnavailable, EventRef, PluginState

SCOPE = "https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.readonly"


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class GoogleCalendar:
    kind = CalendarKind.GOOGLE

    def __init__(self, *, settings: Settings, calendar_id: str, secret: dict[str, Any]) -> None:
        self.settings = settings
        self.calendar_id = calendar_id
        self.secret = dict(secret)
        self.state = PluginState()

    def _service(self) -> Any:
        import google_auth_httplib2
        import httplib2
        from google.oauth2.credentials import Credentials
        from googleapiclient.discovery import build

        s = self.settings
        expiry = self.secret.get("expiry")
        creds = Credentials(
            token=self.secret.get("access_token"),
            refresh_token=self.secret.get("refresh_token"),
            token_uri=s.google_oauth_token_url,
            client_id=s.google_client_id,
            client_secret=s.google_client_secret.get_secret_value() if s.google_client_secret else None,
            expiry=_parse(expiry).replace(tzinfo=None) if expiry else None,
        )
        http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=int(s.calendar_timeout_seconds)))
        kwargs: dict[str, Any] = {"http": http, "cache_discovery": False}
        if s.google_calendar_api_url:
            root = s.google_calendar_api_url.rstrip("/") + "/"
            kwargs["discoveryServiceUrl"] = root + "discovery/v1/apis/{api}/{apiVersion}/rest"
            kwargs["static_discovery"] = False
            kwargs["client_options"] = {"api_endpoint": root + "calendar/v3/"}
        service = build("calendar", "v3", **kwargs)
        return service, creds

    def _remember(self, creds: Any) -> None:
        if creds.token and creds.token != self.secret.get("access_token"):
            self.secret["access_token"] = creds.token
            if creds.expiry is not None:
                self.secret["expiry"] = creds.expiry.replace(tzinfo=UTC).isoformat()
            self.state.secret = dict(self.secret)

    async def _run(self, fn: Any, *args: Any) -> Any:
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(fn, *args), timeout=self.settings.calendar_timeout_seconds * 3
            )
        except CalendarUnavailable:
            raise
        except Exception as exc:
            raise CalendarUnavailable(f"Google Calendar: {exc!r}") from exc

    def _busy(self, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
        service, creds = self._service()
        body = {"timeMin": lo.isoformat(), "timeMax": hi.isoformat(), "items": [{"id": self.calendar_id}]}
        answer = service.freebusy().query(body=body).execute()
        self._remember(creds)
        cal = (answer.get("calendars") or {}).get(self.calendar_id) or {}
        if cal.get("errors"):
            raise CalendarUnavailable(f"Google Calendar freeBusy: {cal['errors']}")
        return [(_parse(b["start"]), _parse(b["end"])) for b in cal.get("busy", [])]

    async def busy(self, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
        result: list[tuple[datetime, datetime]] = await self._run(self._busy, lo, hi)
        return result

    @staticmethod
    def _meet(answer: dict[str, Any]) -> str | None:
        link = answer.get("hangoutLink")
        if link:
            return str(link)
        for entry in (answer.get("conferenceData") or {}).get("entryPoints", []):
            if entry.get("entryPointType") == "video" and entry.get("uri"):
                return str(entry["uri"])
        return None

    def _upsert(self, event: CalendarEvent, external_id: str | None) -> EventRef:
        service, creds = self._service()
        body: dict[str, Any] = {
            "summary": event.summary,
            "description": event.description,
            "location": event.location,
            "start": {"dateTime": event.start.astimezone(UTC).isoformat(), "timeZone": "UTC"},
            "end": {"dateTime": event.end.astimezone(UTC).isoformat(), "timeZone": "UTC"},
            "attendees": [{"email": email, "displayName": name} for email, name in event.attendees],
            "sequence": event.sequence,
        }
        if external_id is None:
            if event.want_video:
                # Asks Google to create a Meet conference; the requestId makes a retried insert idempotent.
                body["conferenceData"] = {
                    "createRequest": {
                        "requestId": event.uid.split("@")[0],
                        "conferenceSolutionKey": {"type": "hangoutsMeet"},
                    }
                }
            answer = (
                service.events()
                .insert(calendarId=self.calendar_id, body=body, conferenceDataVersion=1, sendUpdates="none")
                .execute()
            )
        else:
            answer = (
                service.events()
                .patch(calendarId=self.calendar_id, eventId=external_id, body=body, conferenceDataVersion=1)
                .execute()
            )
        meet = self._meet(answer)
        if meet is None and event.want_video and answer.get("conferenceData"):
            # Conference creation is asynchronous ("pending"); one read usually finds it done.
            answer = service.events().get(calendarId=self.calendar_id, eventId=answer["id"]).execute()
            meet = self._meet(answer)
        self._remember(creds)
        return EventRef(external_id=str(answer["id"]), conference_url=meet)

    async def upsert_event(self, event: CalendarEvent, external_id: str | None) -> EventRef:
        ref: EventRef = await self._run(self._upsert, event, external_id)
        return ref

    def _delete(self, external_id: str) -> None:
        from googleapiclient.errors import HttpError

        service, creds = self._service()
        try:
            service.events().delete(calendarId=self.calendar_id, eventId=external_id, sendUpdates="none").execute()
        except HttpError as exc:
            if exc.resp.status not in (404, 410):
                raise
        self._remember(creds)

    async def delete_event(self, external_id: str) -> None:
        await self._run(self._delete, external_id)
