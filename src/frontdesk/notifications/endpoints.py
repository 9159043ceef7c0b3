"""The signed-in person's notifications in the current organization, and admins' announcements."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require, require_user
from frontdesk.kit.pagination import Page, PageParams, page_of
from frontdesk.notifications import schemas, service

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])

# Everyone in an organization may read their own notifications; ``org.read`` is what every role holds.
MINE = "org.read"


@router.get("", response_model=Page[schemas.Notification], summary="My notifications, newest first")
async def list_notifications(
    session: Session,
    subject: Subject,
    filters: Annotated[schemas.NotificationFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[schemas.Notification]:
    rows, total = await service.list_notifications(
        session, require(subject, MINE), require_user(subject), filters, page
    )
    return page_of([service.to_schema(r) for r in rows], total, page)


@router.get("/unread-count", response_model=schemas.UnreadCount, summary="How many are unread")
async def count_unread_notifications(session: Session, subject: Subject) -> schemas.UnreadCount:
    return schemas.UnreadCount(
        unread=await service.unread_count(session, require(subject, MINE), require_user(subject))
    )


@router.get("/summary", response_model=list[schemas.KindSummary], summary="Totals and unread by kind")
async def summarise_notifications(session: Session, subject: Subject) -> list[schemas.KindSummary]:
    return await service.summary(session, require(subject, MINE), require_user(subject))


@router.post("/read-all", response_model=schemas.BulkResult, summary="Mark every notification read")
async def read_all_notifications(session: Session, subject: Subject) -> schemas.BulkResult:
    return schemas.BulkResult(
        changed=await service.mark_all_read(session, require(subject, MINE), require_user(subject))
    )


@router.post("/bulk", response_model=schemas.BulkResult, summary="Mark read, unread or delete several")
async def bulk_notifications(data: schemas.BulkAction, session: Session, subject: Subject) -> schemas.BulkResult:
    return schemas.BulkResult(changed=await service.bulk(session, require(subject, MINE), require_user(subject), data))


@router.get("/preferences", response_model=schemas.Preferences, summary="How I hear about each kind")
async def get_notification_preferences(session: Session, subject: Subject) -> schemas.Preferences:
    return await service.get_preferences(session, require(subject, MINE), require_user(subject))


@router.put("/preferences", response_model=schemas.Preferences, summary="Change how I hear about each kind")
async def update_notification_preferences(
    data: schemas.PreferencesUpdate, session: Session, subject: Subject
) -> schemas.Preferences:
    return await service.update_preferences(session, require(subject, MINE), require_user(subject), data)


@router.post(
    "/announcements",
    response_model=schemas.AnnouncementSent,
    status_code=status.HTTP_201_CREATED,
    summary="Send an announcement to every member (admins)",
)
async def create_announcement(
    data: schemas.AnnouncementCreate, session: Session, subject: Subject
) -> schemas.AnnouncementSent:
    sent = await service.announce(session, require(subject, "org.update"), subject, data)
    return schemas.AnnouncementSent(recipients=sent)


@router.post("/{notification_id}/read", response_model=schemas.Notification, summary="Mark one read")
async def read_notification(notification_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Notification:
    row = await service.mark_read(session, require(subject, MINE), require_user(subject), notification_id)
    return service.to_schema(row)


@router.delete("/{notification_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete one")
async def delete_notification(notification_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await service.delete_notification(session, require(subject, MINE), require_user(subject), notification_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
