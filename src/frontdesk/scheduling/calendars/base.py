"""What every calendar plugin does: read busy times, and create, move and delete our events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class CalendarKind(StrEnum):
    BUILTIN = "builtin"
    CALDAV = "caldav"
    GOOGLE = "google"


class CalendarUnavailable(Exception):
    """The remote calendar could not be reached or refused us; the caller retries later."""


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str
    location: str
    attendees: list[tuple[str, str]]
    sequence: int
    ics: str
    want_video: bool = False


@dataclass
class EventRef:
    external_id: str
    conference_url: str | None = None


@dataclass
class PluginState:
    """Secrets a plugin renewed while working (a refreshed OAuth token), for the caller to store."""

    secret: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


class CalendarPlugin(Protocol):
    kind: CalendarKind
    state: PluginState

    async def busy(self, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]: ...

    async def upsert_event(self, event: CalendarEvent, external_id: str | None) -> EventRef: ...

    async def delete_event(self, external_id: str) -> None: ...
