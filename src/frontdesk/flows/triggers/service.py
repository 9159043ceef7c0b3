"""Trigger rows: validation of their config, the keyword index per organization, firings and stats."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.flows import conditions, repository, schemas, starter
from frontdesk.flows.conditions import RuleSet
from frontdesk.flows.events import EVENTS
from frontdesk.flows.models import Flow, FlowExecution, FlowTrigger, FlowTriggerFiring
from frontdesk.flows.regexguard import RegexRejected, compile_safe
from frontdesk.flows.service import get_flow
from frontdesk.flows.triggers import schedule as schedules
from frontdesk.flows.triggers.keywords import MATCHES, Entry, KeywordIndex
from frontdesk.kit.errors import Conflict, NotFound, ValidationFailed
from frontdesk.kit.pagination import PageParams, paginate

MAX_TRIGGERS = 20_000


class KeywordConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match: Literal["exact", "contains", "starts_with", "ends_with", "regex"] = "contains"
    pattern: str = Field(min_length=1, max_length=300)
    case_sensitive: bool = False


class EventConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str
    conditions: RuleSet = Field(default_factory=RuleSet)


def _now(session: AsyncSession) -> Any:
    return session.info["runtime"].clock.now()


def _invalid(message: str, exc: ValidationError | None = None) -> ValidationFailed:
    details: dict[str, Any] = {}
    if exc is not None:
        details["errors"] = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()[:5]]
        message = f"{message}: {exc.errors()[0]['msg']}"
    return ValidationFailed(message, code="invalid_trigger", details=details)


def check_config(session: AsyncSession, kind: str, config: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The normalized config and, for schedules, the next run."""
    if kind == "keyword":
        try:
            kw = KeywordConfig.model_validate(config)
        except ValidationError as exc:
            raise _invalid("Invalid keyword trigger", exc) from None
        if kw.match == "regex":
            try:
                compile_safe(kw.pattern, case_sensitive=kw.case_sensitive)
            except RegexRejected as exc:
                raise ValidationFailed(f"Regex refused: {exc}.", code="regex_rejected") from None
        return kw.model_dump(), None
    if kind == "event":
        try:
            ev = EventConfig.model_validate(config)
        except ValidationError as exc:
            raise _invalid("Invalid event trigger", exc) from None
        if ev.event not in EVENTS:
            raise ValidationFailed(
                f"Unknown event {ev.event!r}; use one of {', '.join(EVENTS)}.", code="invalid_trigger"
            )
        for rule in ev.conditions.rules:
            try:
                conditions.check_rule(rule)
            except ValueError as exc:
                raise ValidationFailed(f"Condition on {rule.left}: {exc}", code="invalid_trigger") from None
        return ev.model_dump(mode="json"), None
    try:
        sched = schedules.parse(config)
    except ValidationError as exc:
        raise _invalid("Invalid schedule", exc) from None
    from frontdesk.contacts.service import parse_filters

    parse_filters(sched.segment)
    return sched.model_dump(mode="json"), sched.next_after(_now(session))


async def get_trigger(session: AsyncSession, scope: OrgScope, trigger_id: uuid.UUID) -> FlowTrigger:
    row = await repository.trigger(session, scope.ids, trigger_id)
    if row is None:
        raise NotFound("No such trigger.", code="trigger_not_found")
    return row


async def list_triggers(
    session: AsyncSession, scope: OrgScope, *, flow_id: uuid.UUID | None, kind: str | None, paging: PageParams
) -> tuple[list[FlowTrigger], int]:
    return await paginate(session, repository.triggers(scope.ids, flow_id=flow_id, kind=kind), paging)


async def _check_regex_budget(session: AsyncSession, organization_id: uuid.UUID, config: dict[str, Any]) -> None:
    if config.get("match") != "regex":
        return
    limit = session.info["runtime"].settings.flows_max_regex_triggers
    count = await session.scalar(
        select(func.count()).where(
            FlowTrigger.organization_id == organization_id,
            FlowTrigger.kind == "keyword",
            FlowTrigger.active.is_(True),
            FlowTrigger.config["match"].as_string() == "regex",
        )
    )
    if (count or 0) >= limit:
        raise ValidationFailed(
            f"At most {limit} active regex triggers per organization.", code="too_many_regex_triggers"
        )


async def create_trigger(session: AsyncSession, scope: OrgScope, data: schemas.TriggerCreate) -> FlowTrigger:
    flow = await get_flow(session, scope, data.flow_id)
    total = await session.scalar(select(func.count()).where(FlowTrigger.organization_id == scope.organization_id))
    if (total or 0) >= MAX_TRIGGERS:
        raise ValidationFailed(f"At most {MAX_TRIGGERS} triggers per organization.", code="too_many_triggers")
    config, next_run = check_config(session, data.kind, data.config)
    if data.active and data.kind == "keyword":
        await _check_regex_budget(session, scope.organization_id, config)
    now = _now(session)
    row = FlowTrigger(
        organization_id=scope.organization_id,
        flow_id=flow.id,
        name=data.name,
        kind=data.kind,
        priority=data.priority,
        active=data.active,
        config=config,
        next_run_at=next_run if data.active else None,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def update_trigger(
    session: AsyncSession, scope: OrgScope, trigger_id: uuid.UUID, data: schemas.TriggerUpdate
) -> FlowTrigger:
    row = await get_trigger(session, scope, trigger_id)
    if data.config is not None:
        config, next_run = check_config(session, row.kind, data.config)
        row.config = config
        row.next_run_at = next_run
    if data.name is not None:
        row.name = data.name
    if data.priority is not None:
        row.priority = data.priority
    if data.active is not None and data.active != row.active:
        await set_active(session, scope, trigger_id, data.active)
    row.updated_at = _now(session)
    return row


async def set_active(session: AsyncSession, scope: OrgScope, trigger_id: uuid.UUID, active: bool) -> FlowTrigger:
    row = await get_trigger(session, scope, trigger_id)
    if active and not row.active and row.kind == "keyword":
        await _check_regex_budget(session, row.organization_id, row.config)
    row.active = active
    if row.kind == "schedule":
        row.next_run_at = schedules.parse(row.config).next_after(_now(session)) if active else None
    row.updated_at = _now(session)
    return row


async def delete_trigger(session: AsyncSession, scope: OrgScope, trigger_id: uuid.UUID) -> None:
    row = await get_trigger(session, scope, trigger_id)
    await session.delete(row)


async def list_firings(
    session: AsyncSession, scope: OrgScope, trigger_id: uuid.UUID, paging: PageParams
) -> tuple[list[FlowTriggerFiring], int]:
    row = await get_trigger(session, scope, trigger_id)
    return await paginate(session, repository.firings(scope.ids, row.id), paging)


# ---------------------------------------------------------------- keyword index

_indexes: OrderedDict[uuid.UUID, tuple[tuple[Any, ...], KeywordIndex]] = OrderedDict()


async def keyword_index(session: AsyncSession, organization_id: uuid.UUID) -> KeywordIndex:
    """Built once per change of the organization's keyword triggers; rebuilt on any process after one."""
    fingerprint = await repository.keyword_fingerprint(session, organization_id)
    hit = _indexes.get(organization_id)
    if hit is not None and hit[0] == fingerprint:
        _indexes.move_to_end(organization_id)
        return hit[1]
    entries = []
    for n, (trig, flow) in enumerate(await repository.active_triggers(session, organization_id, "keyword")):
        cfg = trig.config or {}
        if cfg.get("match") not in MATCHES:
            continue
        entries.append(
            Entry(
                trigger_id=trig.id,
                flow_id=flow.id,
                match=cfg["match"],
                pattern=str(cfg.get("pattern", "")),
                case_sensitive=bool(cfg.get("case_sensitive")),
                priority=trig.priority,
                order=n,
                inbox_ids=frozenset(flow.inbox_ids or []),
            )
        )
    index = KeywordIndex(entries)
    _indexes[organization_id] = (fingerprint, index)
    if len(_indexes) > 256:
        _indexes.popitem(last=False)
    return index


async def test_keyword(session: AsyncSession, scope: OrgScope, data: schemas.TriggerTest) -> schemas.TriggerTestResult:
    index = await keyword_index(session, scope.organization_id)
    inbox = str(data.inbox_id) if data.inbox_id else None
    best = index.best(data.text, inbox)
    candidates = sorted({e.trigger_id for e in index.candidates(data.text)}, key=str)
    matched = None
    if best is not None:
        row = await repository.trigger(session, scope.ids, best.trigger_id)
        matched = schemas.Trigger.model_validate(row) if row is not None else None
    return schemas.TriggerTestResult(matched=matched, candidates=candidates)


async def record_firing(
    session: AsyncSession,
    trig: FlowTrigger,
    *,
    contact_id: uuid.UUID | None,
    execution: FlowExecution | None,
    outcome: str,
    detail: str = "",
) -> None:
    now = _now(session)
    trig.fired_count += 1
    trig.last_fired_at = now
    if outcome == "started":
        trig.started_count += 1
    else:
        trig.skipped_count += 1
    session.add(
        FlowTriggerFiring(
            organization_id=trig.organization_id,
            trigger_id=trig.id,
            contact_id=contact_id,
            execution_id=execution.id if execution is not None else None,
            outcome=outcome,
            detail=detail[:500],
            created_at=now,
        )
    )


async def fire_into(
    session: AsyncSession,
    trig: FlowTrigger,
    flow: Flow,
    *,
    contact_id: uuid.UUID,
    conversation_id: uuid.UUID | None,
    data: dict[str, Any],
    depth: int = 0,
    message_text: str | None = None,
) -> FlowExecution | None:
    """Start ``flow`` for the contact because ``trig`` fired, and log the firing either way."""
    try:
        ex = await starter.start(
            session,
            flow,
            contact_id=contact_id,
            conversation_id=conversation_id,
            trigger={"kind": trig.kind, "trigger_id": str(trig.id), "data": data},
            depth=depth,
            message_text=message_text,
        )
    except Conflict as exc:
        await record_firing(session, trig, contact_id=contact_id, execution=None, outcome="skipped", detail=exc.message)
        return None
    await record_firing(session, trig, contact_id=contact_id, execution=ex, outcome="started")
    return ex


async def get_flow_by_id(session: AsyncSession, flow_id: uuid.UUID) -> Flow | None:
    return await session.get(Flow, flow_id)
