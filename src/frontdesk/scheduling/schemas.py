from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from frontdesk.scheduling.slots import DAYS, parse_hhmm

LocationKind = Literal["video", "phone", "address"]
CalendarKind = Literal["builtin", "caldav", "google"]
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")


def _check_hours(value: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    for day, ranges in value.items():
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r}: use one of {', '.join(DAYS)}")
        if len(ranges) > 6:
            raise ValueError("at most 6 ranges a day")
        previous = None
        for pair in sorted(ranges):
            if len(pair) != 2:
                raise ValueError("each range is [start, end], like ['09:00', '17:00']")
            lo, hi = parse_hhmm(pair[0]), parse_hhmm(pair[1])
            if lo >= hi:
                raise ValueError(f"{day}: {pair[0]} is not before {pair[1]}")
            if previous is not None and lo < previous:
                raise ValueError(f"{day}: ranges overlap")
            previous = hi
    return value


def normalize_reminders(value: list[int] | None) -> list[int] | None:
    if value is None:
        return None
    if any(m < 5 or m > 60 * 24 * 14 for m in value):
        raise ValueError("reminders are between 5 minutes and 14 days before")
    return sorted(set(value), reverse=True)


class DayOff(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    label: str = Field("", max_length=200)


class Availability(BaseModel):
    timezone: str
    weekly_hours: dict[str, list[list[str]]]
    exceptions: list[DayOff]
    agent_id: uuid.UUID | None
    configured: bool = Field(description="False when nothing was saved yet and these are the defaults.")


class AvailabilityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(min_length=1, max_length=64, description="IANA zone the hours are in.")
    weekly_hours: dict[str, list[list[str]]] = Field(
        description='Per weekday, open ranges: {"mon": [["09:00", "12:00"], ["13:00", "17:00"]]}. Missing = closed.'
    )
    exceptions: list[DayOff] = Field(default_factory=list, max_length=366, description="Whole days off.")

    _hours = field_validator("weekly_hours")(_check_hours)


class MeetingType(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    description: str
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_minutes: int
    max_days_ahead: int
    slot_step_minutes: int
    location_kind: str
    location_value: str
    agent_ids: list[uuid.UUID]
    reminder_minutes: list[int]
    is_default: bool
    active: bool
    created_at: datetime


class _MeetingTypeFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("slug", check_fields=False)
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value is not None and not SLUG.match(value):
            raise ValueError("lower-case letters, digits and dashes")
        return value

    @field_validator("duration_minutes", "slot_step_minutes", check_fields=False)
    @classmethod
    def _five(cls, value: int | None) -> int | None:
        if value is not None and value % 5:
            raise ValueError("a multiple of 5 minutes")
        return value


class MeetingTypeCreate(_MeetingTypeFields):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(None, max_length=80, description="URL name; made from the name when left out.")
    description: str = Field("", max_length=5000)
    duration_minutes: int = Field(30, ge=5, le=8 * 60)
    buffer_before_minutes: int = Field(0, ge=0, le=240)
    buffer_after_minutes: int = Field(0, ge=0, le=240)
    min_notice_minutes: int = Field(60, ge=0, le=60 * 24 * 30)
    max_days_ahead: int = Field(30, ge=1, le=365)
    slot_step_minutes: int = Field(15, ge=5, le=240)
    location_kind: LocationKind = "video"
    location_value: str = Field("", max_length=500, description="Phone number, address or a fixed video link.")
    agent_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50, description="Hosts; empty = the team.")
    reminder_minutes: list[int] = Field(default_factory=lambda: [60 * 24, 60], max_length=5)
    is_default: bool = False
    active: bool = True

    _reminders = field_validator("reminder_minutes")(normalize_reminders)


class MeetingTypeUpdate(_MeetingTypeFields):
    name: str | None = Field(None, min_length=1, max_length=200)
    slug: str | None = Field(None, max_length=80)
    description: str | None = Field(None, max_length=5000)
    duration_minutes: int | None = Field(None, ge=5, le=8 * 60)
    buffer_before_minutes: int | None = Field(None, ge=0, le=240)
    buffer_after_minutes: int | None = Field(None, ge=0, le=240)
    min_notice_minutes: int | None = Field(None, ge=0, le=60 * 24 * 30)
    max_days_ahead: int | None = Field(None, ge=1, le=365)
    slot_step_minutes: int | None = Field(None, ge=5, le=240)
    location_kind: LocationKind | None = None
    location_value: str | None = Field(None, max_length=500)
    agent_ids: list[uuid.UUID] | None = Field(None, max_length=50)
    reminder_minutes: list[int] | None = Field(None, max_length=5)
    is_default: bool | None = None
    active: bool | None = None

    _reminders = field_validator("reminder_minutes")(normalize_reminders)


class SlotOut(BaseModel):
    start: datetime = Field(description="UTC.")
    end: datetime
    local_start: str = Field(description="The start in the visitor's zone, ISO 8601 with offset.")
    local_date: str
    local_time: str
    agent_id: uuid.UUID | None
    meeting_type_id: uuid.UUID


class SlotList(BaseModel):
    meeting_type_id: uuid.UUID
    timezone: str
    slots: list[SlotOut]


class BookingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meeting_type_id: uuid.UUID | None = Field(None, description="Default meeting type when left out.")
    start: datetime = Field(description="A slot's start; naive = wall-clock time in `timezone`.")
    timezone: str = Field("UTC", max_length=64, description="The customer's zone.")
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    notes: str = Field("", max_length=2000)
    agent_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None


class PublicBookingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: datetime
    timezone: str = Field("UTC", max_length=64)
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    notes: str = Field("", max_length=2000)


class Reschedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: datetime
    timezone: str = Field("UTC", max_length=64)


class Booking(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    meeting_type_id: uuid.UUID
    agent_id: uuid.UUID | None
    start_at: datetime
    end_at: datetime
    timezone: str
    name: str
    email: str
    notes: str
    contact_id: uuid.UUID | None
    conversation_id: uuid.UUID | None
    status: str
    location: str
    source: str
    sequence: int
    created_at: datetime
    cancelled_at: datetime | None


class PublicBooking(BaseModel):
    """What the holder of a booking's signed link sees: no internal ids beyond the booking's."""

    id: uuid.UUID
    meeting_type: str
    start_at: datetime
    end_at: datetime
    timezone: str
    name: str
    status: str
    location: str
    manage_token: str | None = Field(None, description="Signed link token to move or cancel this booking.")


class CalendarConnection(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    agent_id: uuid.UUID | None
    kind: str
    name: str
    config: dict[str, Any]
    status: str
    last_error: str | None
    last_synced_at: datetime | None
    created_at: datetime


class CalendarConnectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["caldav", "google"]
    name: str = Field("", max_length=200)
    agent_id: uuid.UUID | None = Field(None, description="The agent whose calendar this is; none = the team's.")
    url: str | None = Field(None, max_length=2000, description="CalDAV: the calendar collection URL.")
    username: str | None = Field(None, max_length=200)
    password: str | None = Field(None, max_length=500, description="CalDAV password; stored encrypted.")
    calendar_id: str | None = Field(None, max_length=300, description="Google: calendar id (default primary).")


class CalendarConnectionCreated(CalendarConnection):
    authorize_url: str | None = Field(None, description="Google: send the user here to grant access.")


class FeedUrl(BaseModel):
    url: str = Field(description="Private ICS feed of your bookings; anyone with it can read them.")
