"""When a schedule trigger runs next: once, daily, weekly, monthly or a cron expression, in a time zone.

Everything becomes a cron expression evaluated in the trigger's zone (so 09:00 stays 09:00 across
daylight-saving changes); ``once`` is a single local date and time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    every: Literal["once", "daily", "weekly", "monthly", "cron"]
    time: str = Field("09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    at: datetime | None = Field(None, description="once: the local date and time")
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(default_factory=list)
    day_of_month: int | None = Field(None, ge=1, le=31)
    cron: str | None = Field(None, max_length=120)
    timezone: str = Field("UTC", max_length=64)
    segment: list[str] = Field(default_factory=list, max_length=20, description="Attribute filters key:op:value")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _complete(self) -> Schedule:
        if self.every == "once" and self.at is None:
            raise ValueError("a one-off schedule needs 'at'")
        if self.every == "weekly" and not self.weekdays:
            raise ValueError("a weekly schedule needs weekdays")
        if self.every == "monthly" and self.day_of_month is None:
            raise ValueError("a monthly schedule needs day_of_month")
        if self.every == "cron" and (not self.cron or not croniter.is_valid(self.cron) or len(self.cron.split()) != 5):
            raise ValueError(f"{self.cron!r} is not a valid five-field cron expression")
        return self

    def expression(self) -> str | None:
        hh, mm = (int(x) for x in self.time.split(":"))
        if self.every == "daily":
            return f"{mm} {hh} * * *"
        if self.every == "weekly":
            return f"{mm} {hh} * * {','.join(str((DAYS.index(d) + 1) % 7) for d in self.weekdays)}"
        if self.every == "monthly":
            return f"{mm} {hh} {self.day_of_month} * *"
        if self.every == "cron":
            return self.cron
        return None

    def next_after(self, now: datetime) -> datetime | None:
        zone = ZoneInfo(self.timezone)
        if self.every == "once":
            assert self.at is not None
            at = self.at if self.at.tzinfo else self.at.replace(tzinfo=zone)
            at = at.astimezone(UTC)
            return at if at > now else None
        expr = self.expression()
        assert expr is not None
        local = now.astimezone(zone)
        nxt: datetime = croniter(expr, local).get_next(datetime)
        return nxt.astimezone(UTC)


def parse(config: dict[str, Any]) -> Schedule:
    return Schedule.model_validate(config)
