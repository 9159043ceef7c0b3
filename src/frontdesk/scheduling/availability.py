"""Weekly hours and days off, of the organization and of each agent."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.kit.errors import NotFound
from frontdesk.orgs.models import Organization
from frontdesk.scheduling import repository, schemas
from frontdesk.scheduling.models import Availability
from frontdesk.scheduling.slots import Schedule, parse_hhmm, zone

ORG = "org"
# What a new organization starts with, so the first meeting type is bookable before anyone edits hours.
DEFAULT_HOURS: dict[str, list[list[str]]] = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def owner_key(agent_id: uuid.UUID | None) -> str:
    return ORG if agent_id is None else str(agent_id)


async def _org_timezone(session: AsyncSession, org_id: uuid.UUID) -> str:
    org = await session.get(Organization, org_id)
    return org.timezone if org is not None and org.timezone else "UTC"


async def get_availability(session: AsyncSession, scope: OrgScope, agent_id: uuid.UUID | None) -> schemas.Availability:
    org_id = scope.organization_id
    if agent_id is not None and not await repository.member_ids(session, org_id, [agent_id]):
        raise NotFound("No such agent.")
    row = await repository.availability(session, org_id, owner_key(agent_id))
    if row is None:
        # An agent without hours of their own works the team's hours.
        base = await repository.availability(session, org_id, ORG) if agent_id is not None else None
        return schemas.Availability(
            timezone=base.timezone if base else await _org_timezone(session, org_id),
            weekly_hours=base.weekly_hours if base else DEFAULT_HOURS,
            exceptions=[],
            agent_id=agent_id,
            configured=False,
        )
    return schemas.Availability(
        timezone=row.timezone,
        weekly_hours=row.weekly_hours,
        exceptions=[schemas.DayOff.model_validate(e) for e in row.exceptions],
        agent_id=agent_id,
        configured=True,
    )


async def set_availability(
    session: AsyncSession, scope: OrgScope, agent_id: uuid.UUID | None, data: schemas.AvailabilityUpdate
) -> schemas.Availability:
    org_id = scope.organization_id
    zone(data.timezone)
    if agent_id is not None and not await repository.member_ids(session, org_id, [agent_id]):
        raise NotFound("No such agent.")
    key = owner_key(agent_id)
    row = await repository.availability(session, org_id, key)
    now = session.info["runtime"].clock.now()
    if row is None:
        row = Availability(organization_id=org_id, owner_key=key, agent_id=agent_id, created_at=now)
        session.add(row)
    row.timezone = data.timezone
    row.weekly_hours = {d: [list(p) for p in sorted(r)] for d, r in data.weekly_hours.items() if r}
    unique = {e.date: e for e in data.exceptions}
    row.exceptions = [{"date": d.isoformat(), "label": unique[d].label} for d in sorted(unique)]
    row.updated_at = now
    await session.flush()
    return await get_availability(session, scope, agent_id)


def _schedule(timezone: str, hours: dict[str, list[list[str]]], days_off: set[date]) -> Schedule:
    weekly = {day: [(parse_hhmm(lo), parse_hhmm(hi)) for lo, hi in ranges] for day, ranges in hours.items()}
    return Schedule(tz=zone(timezone), weekly=weekly, days_off=frozenset(days_off))


async def schedule_for(
    session: AsyncSession,
    org_id: uuid.UUID,
    agent_id: uuid.UUID | None,
    *,
    rows: dict[str, Availability] | None = None,
) -> Schedule:
    """The hours a host works; the team's days off (holidays) apply to every agent as well.

    ``rows`` (every availability row of the organization, by owner key) saves a query per host when
    a search covers many hosts.
    """
    if rows is None:
        rows = await repository.availabilities(session, org_id)
    team = rows.get(ORG)
    holidays = {date.fromisoformat(e["date"]) for e in (team.exceptions if team else [])}
    own = rows.get(owner_key(agent_id)) if agent_id is not None else None
    if own is not None:
        own_off = {date.fromisoformat(e["date"]) for e in own.exceptions}
        return _schedule(own.timezone, own.weekly_hours, holidays | own_off)
    if team is not None:
        return _schedule(team.timezone, team.weekly_hours, holidays)
    return _schedule(await _org_timezone(session, org_id), DEFAULT_HOURS, set())
