"""Telling people what concerns them.

Other domains call :func:`notify` inside their own transaction: the rows commit with the change
that caused them, the live push goes out after commit, and mail is queued as a durable job. Only
members of the organization are ever notified, whatever ids a caller passes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit import service as audit
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.errors import NotFound, ValidationFailed
from frontdesk.kit.events import publish_on_commit, user_topic
from frontdesk.kit.ids import new_id
from frontdesk.kit.pagination import PageParams, paginate
from frontdesk.mail.service import queue_mail
from frontdesk.notifications import repository, schemas
from frontdesk.notifications.catalog import KINDS, Channels, defaults
from frontdesk.notifications.models import Notification, NotificationPreference, NotificationSettings


def _now(session: AsyncSession) -> Any:
    return session.info["runtime"].clock.now()


def _public_url(session: AsyncSession) -> str:
    return str(session.info["runtime"].settings.public_url).rstrip("/")


def to_schema(row: Notification) -> schemas.Notification:
    return schemas.Notification.model_validate(row)


async def notify(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID] | None,
    kind: str,
    title: str,
    body: str = "",
    link: str | None = None,
    data: dict[str, Any] | None = None,
    exclude: uuid.UUID | None = None,
    roles: tuple[str, ...] | None = None,
    email_text: str | None = None,
    mail_kind: str | None = None,
) -> list[Notification]:
    """Notify members (``user_ids``; ``None`` for every member) by their preferences for ``kind``.

    ``exclude`` is the person whose action caused this: nobody is told about what they just did.
    ``roles`` narrows the recipients to members holding one of those roles. ``email_text`` and
    ``mail_kind`` replace the plain mail built from title and body, for kinds with a richer one.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if user_ids is not None and not user_ids:
        return []
    people = [
        p
        for p in await repository.recipients(session, organization_id, user_ids)
        if p[0] != exclude and (roles is None or p[1] in roles)
    ]
    if not people:
        return []
    chosen = {
        p.user_id: Channels(p.in_app, p.email, p.browser)  # type: ignore[arg-type]
        for p in await repository.preferences(session, organization_id, [p[0] for p in people], kind)
    }
    now = _now(session)
    created: list[Notification] = []
    for user_id, role, email, _name in people:
        channels = chosen.get(user_id) or defaults(kind, role)
        if channels.in_app or channels.email == "digest":
            row = Notification(
                id=new_id(),
                organization_id=organization_id,
                user_id=user_id,
                kind=kind,
                title=title[:300],
                body=body,
                link=link,
                data=data or {},
                created_at=now,
                # Kept for the digest even when the person hides it in the app: read_at marks it seen.
                read_at=None if channels.in_app else now,
                digest_pending=channels.email == "digest",
            )
            session.add(row)
            created.append(row)
            if channels.in_app:
                event = {
                    "type": "notification",
                    "notification": to_schema(row).model_dump(mode="json"),
                    "browser": channels.browser,
                }
                publish_on_commit(session, user_topic(user_id), event)
        if channels.email == "immediate":
            text = email_text or "\n\n".join(
                part for part in (title, body, f"{_public_url(session)}{link}" if link else "") if part
            )
            queue_mail(
                session,
                to=email,
                subject=title[:200],
                text=text + "\n\n(You can change which notifications are mailed to you in Frontdesk.)",
                organization_id=organization_id,
                kind=mail_kind or f"notification.{kind}",
            )
    return created


# ---------------------------------------------------------------- the person's own list


async def list_notifications(
    session: AsyncSession, scope: OrgScope, user_id: uuid.UUID, filters: schemas.NotificationFilter, page: PageParams
) -> tuple[list[Notification], int]:
    if filters.kind and filters.kind not in KINDS:
        raise ValidationFailed(f"No notification kind {filters.kind!r}.", code="unknown_notification_kind")
    stmt = repository.listing(scope.organization_id, user_id, unread=filters.unread, kind=filters.kind)
    return await paginate(session, stmt, page)


async def unread_count(session: AsyncSession, scope: OrgScope, user_id: uuid.UUID) -> int:
    return await repository.unread_count(session, scope.organization_id, user_id)


async def summary(session: AsyncSession, scope: OrgScope, user_id: uuid.UUID) -> list[schemas.KindSummary]:
    counts = {
        kind: (total, unread)
        for kind, total, unread in await repository.summary(session, scope.organization_id, user_id)
    }
    return [
        schemas.KindSummary(
            kind=k.key, label=k.label, total=counts.get(k.key, (0, 0))[0], unread=counts.get(k.key, (0, 0))[1]
        )
        for k in KINDS.values()
    ]


def _changed(
    session: AsyncSession, scope: OrgScope, user_id: uuid.UUID, what: str, ids: Sequence[uuid.UUID] | None
) -> None:
    """Tell the person's other tabs, so a badge read in one tab clears in all of them."""
    event = {
        "type": "notifications.changed",
        "organization_id": str(scope.organization_id),
        "what": what,
        "ids": [str(i) for i in ids] if ids is not None else None,
    }
    publish_on_commit(session, user_topic(user_id), event)


async def mark_read(
    session: AsyncSession, scope: OrgScope, user_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification:
    row = await _own(session, scope, user_id, notification_id)
    if row.read_at is None:
        row.read_at = _now(session)
        _changed(session, scope, user_id, "read", [row.id])
    return row


async def mark_all_read(session: AsyncSession, scope: OrgScope, user_id: uuid.UUID) -> int:
    changed = await repository.mark(session, scope.organization_id, user_id, None, _now(session))
    if changed:
        _changed(session, scope, user_id, "read", None)
    return changed


async def delete_notification(
    session: AsyncSession, scope: OrgScope, user_id: uuid.UUID, notification_id: uuid.UUID
) -> None:
    row = await _own(session, scope, user_id, notification_id)
    await session.delete(row)
    _changed(session, scope, user_id, "delete", [notification_id])


async def bulk(session: AsyncSession, scope: OrgScope, user_id: uuid.UUID, action: schemas.BulkAction) -> int:
    ids = list(dict.fromkeys(action.ids))
    if action.action == "delete":
        changed = await repository.remove(session, scope.organization_id, user_id, ids)
    elif action.action == "read":
        changed = await repository.mark(session, scope.organization_id, user_id, ids, _now(session))
    else:
        changed = await repository.mark(session, scope.organization_id, user_id, ids, None)
    if changed:
        _changed(session, scope, user_id, action.action, ids)
    return changed


async def _own(session: AsyncSession, scope: OrgScope, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    row = await session.get(Notification, notification_id)
    if row is None or row.organization_id != scope.organization_id or row.user_id != user_id:
        raise NotFound("No such notification.", code="notification_not_found")
    return row


# ---------------------------------------------------------------- preferences


async def get_preferences(session: AsyncSession, scope: OrgScope, user_id: uuid.UUID) -> schemas.Preferences:
    stored = {p.kind: p for p in await repository.preferences(session, scope.organization_id, [user_id])}
    settings = await repository.settings_of(session, scope.organization_id, user_id)
    kinds = []
    for kind in KINDS.values():
        own = stored.get(kind.key)
        base = Channels(own.in_app, own.email, own.browser) if own else defaults(kind.key, scope.role)  # type: ignore[arg-type]
        kinds.append(
            schemas.Preference(
                kind=kind.key,
                label=kind.label,
                in_app=base.in_app,
                email=base.email,
                browser=base.browser,
                customised=own is not None,
            )
        )
    return schemas.Preferences(
        sound=settings.sound if settings else False,
        digest_hour=settings.digest_hour if settings else 8,
        kinds=kinds,
    )


async def update_preferences(
    session: AsyncSession, scope: OrgScope, user_id: uuid.UUID, data: schemas.PreferencesUpdate
) -> schemas.Preferences:
    unknown = sorted({k.kind for k in data.kinds} - KINDS.keys())
    if unknown:
        raise ValidationFailed(f"No notification kind {', '.join(unknown)}.", code="unknown_notification_kind")
    stored = {p.kind: p for p in await repository.preferences(session, scope.organization_id, [user_id])}
    for change in data.kinds:
        row = stored.get(change.kind)
        if row is None:
            row = NotificationPreference(
                id=new_id(), organization_id=scope.organization_id, user_id=user_id, kind=change.kind
            )
            session.add(row)
            stored[change.kind] = row
        row.in_app, row.email, row.browser = change.in_app, change.email, change.browser
    if data.sound is not None or data.digest_hour is not None:
        settings = await repository.settings_of(session, scope.organization_id, user_id)
        if settings is None:
            settings = NotificationSettings(id=new_id(), organization_id=scope.organization_id, user_id=user_id)
            session.add(settings)
        if data.sound is not None:
            settings.sound = data.sound
        if data.digest_hour is not None:
            settings.digest_hour = data.digest_hour
    await session.flush()
    return await get_preferences(session, scope, user_id)


# ---------------------------------------------------------------- announcements


async def announce(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.AnnouncementCreate
) -> int:
    author_id = subject.user_id
    sent = await notify(
        session,
        organization_id=scope.organization_id,
        user_ids=None,
        kind="announcement",
        title=data.title,
        body=data.body,
        link=data.link,
        data={"author_id": str(author_id) if author_id else None},
    )
    audit.record(
        session,
        "notification.announced",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="organization",
        target_id=scope.organization_id,
        details={"title": data.title, "recipients": len(sent)},
    )
    return len(sent)
