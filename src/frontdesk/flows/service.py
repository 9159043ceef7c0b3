"""Flows, their versions and templates, and their analytics."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.flows import graph as graphs
from frontdesk.flows import repository, schemas
from frontdesk.flows.library import SHIPPED
from frontdesk.flows.models import Flow, FlowTemplate, FlowVersion
from frontdesk.kit.errors import NotFound, ValidationFailed

MAX_FLOWS = 500


def _now(session: AsyncSession) -> Any:
    return session.info["runtime"].clock.now()


def issues_of(raw: dict[str, Any]) -> list[schemas.Issue]:
    _, issues = graphs.parse(raw)
    return [schemas.Issue(**i.as_dict()) for i in issues]


def to_schema(flow: Flow) -> schemas.Flow:
    out = schemas.Flow.model_validate(flow)
    out.issues = issues_of(flow.draft or {})
    return out


async def get_flow(session: AsyncSession, scope: OrgScope, flow_id: uuid.UUID) -> Flow:
    flow = await repository.get_flow(session, scope.ids, flow_id)
    if flow is None:
        raise NotFound("No such flow.", code="flow_not_found")
    return flow


async def list_flows(session: AsyncSession, scope: OrgScope) -> list[Flow]:
    return await repository.list_flows(session, scope.ids)


async def _check_inboxes(session: AsyncSession, scope: OrgScope, inbox_ids: list[uuid.UUID]) -> list[str]:
    from frontdesk.inboxes.models import Inbox

    for inbox_id in inbox_ids:
        inbox = await session.get(Inbox, inbox_id)
        if inbox is None or inbox.organization_id != scope.organization_id:
            raise ValidationFailed("An inbox in inbox_ids does not exist.", code="inbox_not_found")
    return [str(i) for i in inbox_ids]


async def create_flow(session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.FlowCreate) -> Flow:
    if len(await repository.list_flows(session, scope.ids)) >= MAX_FLOWS:
        raise ValidationFailed(f"An organization can have at most {MAX_FLOWS} flows.", code="too_many_flows")
    now = _now(session)
    draft = data.graph.model_dump(mode="json") if data.graph is not None else {"start": None, "nodes": [], "edges": []}
    flow = Flow(
        organization_id=scope.organization_id,
        name=data.name,
        description=data.description,
        draft=draft,
        inbox_ids=await _check_inboxes(session, scope, data.inbox_ids),
        allow_concurrent=data.allow_concurrent,
        created_at=now,
        updated_at=now,
    )
    session.add(flow)
    await session.flush()
    record(
        session,
        "flow.created",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="flow",
        target_id=flow.id,
    )
    return flow


async def update_flow(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, flow_id: uuid.UUID, data: schemas.FlowUpdate
) -> Flow:
    """Change the draft and settings. Running executions are pinned to their version and never see this."""
    flow = await get_flow(session, scope, flow_id)
    if data.name is not None:
        flow.name = data.name
    if data.description is not None:
        flow.description = data.description
    if data.graph is not None:
        flow.draft = data.graph.model_dump(mode="json")
    if data.inbox_ids is not None:
        flow.inbox_ids = await _check_inboxes(session, scope, data.inbox_ids)
    if data.allow_concurrent is not None:
        flow.allow_concurrent = data.allow_concurrent
    flow.updated_at = _now(session)
    return flow


async def delete_flow(session: AsyncSession, scope: OrgScope, subject: AuthSubject, flow_id: uuid.UUID) -> None:
    flow = await get_flow(session, scope, flow_id)
    record(
        session,
        "flow.deleted",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="flow",
        target_id=flow.id,
    )
    await session.delete(flow)


async def validate_flow(session: AsyncSession, scope: OrgScope, flow_id: uuid.UUID) -> schemas.Validation:
    flow = await get_flow(session, scope, flow_id)
    issues = issues_of(flow.draft or {})
    return schemas.Validation(valid=not issues, issues=issues)


async def publish(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, flow_id: uuid.UUID, note: str
) -> FlowVersion:
    flow = await get_flow(session, scope, flow_id)
    issues = issues_of(flow.draft or {})
    if issues:
        raise ValidationFailed(
            f"The flow has {len(issues)} problem(s) to fix before publishing.",
            code="flow_invalid",
            details={"issues": [i.model_dump() for i in issues]},
        )
    flow.latest_number += 1
    version = FlowVersion(
        organization_id=flow.organization_id,
        flow_id=flow.id,
        number=flow.latest_number,
        graph=copy.deepcopy(flow.draft),
        note=note,
        created_by=subject.user_id if subject.user_id else None,
        created_at=_now(session),
    )
    session.add(version)
    await session.flush()
    flow.published_version_id = version.id
    flow.updated_at = _now(session)
    record(
        session,
        "flow.published",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="flow",
        target_id=flow.id,
        details={"version": version.number},
    )
    return version


async def list_versions(session: AsyncSession, scope: OrgScope, flow_id: uuid.UUID) -> list[FlowVersion]:
    flow = await get_flow(session, scope, flow_id)
    return await repository.versions(session, flow.id)


async def get_version(session: AsyncSession, scope: OrgScope, flow_id: uuid.UUID, number: int) -> FlowVersion:
    flow = await get_flow(session, scope, flow_id)
    version = await repository.version(session, flow.id, number)
    if version is None:
        raise NotFound("No such version.", code="version_not_found")
    return version


async def restore_version(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, flow_id: uuid.UUID, number: int
) -> Flow:
    """Copy an earlier version into the draft; publishing it again makes a new number, history stays."""
    version = await get_version(session, scope, flow_id, number)
    flow = await get_flow(session, scope, flow_id)
    flow.draft = copy.deepcopy(version.graph)
    flow.updated_at = _now(session)
    return flow


def export_flow(flow: Flow) -> dict[str, Any]:
    return {
        "format": "frontdesk.flow",
        "version": 1,
        "name": flow.name,
        "description": flow.description,
        "allow_concurrent": flow.allow_concurrent,
        "graph": flow.draft,
    }


async def import_flow(session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.FlowExport) -> Flow:
    return await create_flow(
        session,
        scope,
        subject,
        schemas.FlowCreate(
            name=data.name, description=data.description, graph=data.graph, allow_concurrent=data.allow_concurrent
        ),
    )


# ---------------------------------------------------------------- templates


async def list_templates(session: AsyncSession, scope: OrgScope) -> list[schemas.Template]:
    out = [
        schemas.Template(id=key, name=name, description=desc, shipped=True, graph=graph)
        for key, (name, desc, graph) in SHIPPED.items()
    ]
    for row in await repository.templates(session, scope.ids):
        out.append(
            schemas.Template(id=str(row.id), name=row.name, description=row.description, shipped=False, graph=row.graph)
        )
    return out


async def create_template(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.TemplateCreate
) -> schemas.Template:
    flow = await get_flow(session, scope, data.flow_id)
    row = FlowTemplate(
        organization_id=scope.organization_id,
        name=data.name or flow.name,
        description=data.description or flow.description,
        graph=copy.deepcopy(flow.draft),
        created_at=_now(session),
    )
    session.add(row)
    await session.flush()
    return schemas.Template(id=str(row.id), name=row.name, description=row.description, shipped=False, graph=row.graph)


async def _template(session: AsyncSession, scope: OrgScope, template_id: str) -> tuple[str, str, dict[str, Any]]:
    if template_id in SHIPPED:
        return SHIPPED[template_id]
    try:
        tid = uuid.UUID(template_id)
    except ValueError:
        raise NotFound("No such template.", code="template_not_found") from None
    row = await repository.template(session, scope.ids, tid)
    if row is None:
        raise NotFound("No such template.", code="template_not_found")
    return row.name, row.description, row.graph


async def delete_template(session: AsyncSession, scope: OrgScope, template_id: str) -> None:
    if template_id in SHIPPED:
        raise ValidationFailed("Shipped templates cannot be deleted.", code="template_shipped")
    await _template(session, scope, template_id)
    row = await repository.template(session, scope.ids, uuid.UUID(template_id))
    await session.delete(row)


async def use_template(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, template_id: str, name: str | None
) -> Flow:
    tname, desc, graph = await _template(session, scope, template_id)
    return await create_flow(
        session,
        scope,
        subject,
        schemas.FlowCreate(
            name=name or tname, description=desc, graph=graphs.GraphIn.model_validate(copy.deepcopy(graph))
        ),
    )


# ---------------------------------------------------------------- analytics


async def analytics(session: AsyncSession, scope: OrgScope, flow_id: uuid.UUID) -> schemas.Analytics:
    flow = await get_flow(session, scope, flow_id)
    per_version: dict[int, dict[str, int]] = {}
    for number, status, count in await repository.status_counts(session, flow.id):
        per_version.setdefault(number, {})[status] = count
    versions = []
    totals = {"started": 0, "completed": 0, "failed": 0, "cancelled": 0, "active": 0}
    for number in sorted(per_version, reverse=True):
        c = per_version[number]
        v = schemas.VersionStats(
            version_number=number,
            started=sum(c.values()),
            completed=c.get("completed", 0),
            failed=c.get("failed", 0),
            cancelled=c.get("cancelled", 0),
            active=c.get("running", 0) + c.get("waiting", 0),
        )
        versions.append(v)
        for k in totals:
            totals[k] += getattr(v, k)
    dropped = {str(n): c for n, c in await repository.dropped_at(session, flow.id) if n is not None}
    nodes = [
        schemas.NodeStats(node_id=n, entered=c, failed=e, dropped=dropped.get(n, 0))
        for n, c, e in await repository.node_counts(session, flow.id)
    ]
    started = totals["started"]
    return schemas.Analytics(
        flow_id=flow.id,
        versions=versions,
        nodes=sorted(nodes, key=lambda s: -s.entered),
        dropped_at=dropped,
        completion_rate=round(totals["completed"] / started, 4) if started else 0.0,
        **totals,
    )
