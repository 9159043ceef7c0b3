"""Reading and changing an organization's pipeline settings (statuses, daily report, follow-up flows)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.errors import ValidationFailed
from frontdesk.leads import pipeline, reports, repository, schemas
from frontdesk.leads.fields import normalise_email
from frontdesk.orgs.models import Organization


async def read(session: AsyncSession, scope: OrgScope) -> schemas.PipelineSettings:
    row = await pipeline.settings_for(session, scope.organization_id)
    org = await session.get(Organization, scope.organization_id)
    return schemas.PipelineSettings(
        statuses=[schemas.StatusItem(key=str(s["key"]), label=str(s.get("label") or s["key"])) for s in row.statuses],
        report_enabled=row.report_enabled,
        report_time=row.report_time,
        report_recipients=list(row.report_recipients or []),
        report_next_at=row.report_next_at,
        follow_up_flow_event=row.follow_up_flow_event,
        timezone=str(pipeline.zone_of(org)),
    )


async def update(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.PipelineSettingsUpdate
) -> None:
    org_id = scope.organization_id
    row = await pipeline.settings_for(session, org_id)
    sent = data.model_fields_set
    now = session.info["runtime"].clock.now()
    changes: dict[str, object] = {}
    if "statuses" in sent and data.statuses is not None:
        new = pipeline.check_statuses([s.model_dump() for s in data.statuses])
        new_keys = [s["key"] for s in new]
        renames = {k.strip().lower(): v.strip().lower() for k, v in (data.renames or {}).items()}
        for target in renames.values():
            if target not in new_keys:
                raise ValidationFailed(
                    f"Leads cannot move to {target!r}: it is not one of the statuses.", code="status_unknown"
                )
        in_use = await repository.status_counts(session, [org_id])
        stranded = [k for k, n in in_use.items() if n and k not in new_keys and k not in renames]
        if stranded:
            raise ValidationFailed(
                "Some leads are in statuses you removed; say where they go with `renames`.",
                code="statuses_in_use",
                details={"statuses": stranded},
            )
        for old, target in renames.items():
            if old != target:
                await repository.rename_status(session, org_id, old, target)
        row.statuses = new
        changes["statuses"] = new_keys
    reschedule = False
    if "report_time" in sent and data.report_time is not None:
        row.report_time = pipeline.check_report_time(data.report_time)
        reschedule = True
    if "report_enabled" in sent and data.report_enabled is not None:
        reschedule = reschedule or data.report_enabled != row.report_enabled
        row.report_enabled = data.report_enabled
    if "report_recipients" in sent and data.report_recipients is not None:
        emails = []
        for raw in data.report_recipients:
            try:
                emails.append(normalise_email(raw))
            except ValueError as exc:
                raise ValidationFailed(
                    f"{raw!r} is not an email address.", code="recipient_invalid", details={"reason": str(exc)}
                ) from None
        row.report_recipients = sorted(set(emails))
    if "follow_up_flow_event" in sent and data.follow_up_flow_event is not None:
        row.follow_up_flow_event = data.follow_up_flow_event
    row.updated_at = now
    if row not in session:
        session.add(row)
    await session.flush()
    if reschedule or (row.report_enabled and row.report_next_at is None):
        await reports.book_next(session, row, now)
        changes["report"] = {"enabled": row.report_enabled, "time": row.report_time}
    if changes:
        record(
            session,
            "leads.settings_changed",
            organization_id=org_id,
            subject=subject,
            details={k: v for k, v in changes.items()},
        )
