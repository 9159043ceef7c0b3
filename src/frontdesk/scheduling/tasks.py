"""Jobs of this domain, named ``scheduling.<verb>``: calendar sync and reminders.

Both take ids only and are idempotent. The sync job does its network calls outside any database
transaction (on SQLite a transaction holds the one write lock), then records what it achieved.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import JobContext, job_handler
from frontdesk.mail.models import MailMessage
from frontdesk.mail.service import queue_mail
from frontdesk.mail.tasks import Attachment, attachments_for
from frontdesk.scheduling import ics, links, repository
from frontdesk.scheduling.calendars.base import CalendarEvent, CalendarKind, CalendarUnavailable
from frontdesk.scheduling.calendars.registry import make
from frontdesk.scheduling.models import (
    CANCELLED,
    CONFIRMED,
    Booking,
    BookingEvent,
    CalendarConnection,
    InvitationAttachment,
    MeetingType,
)
from frontdesk.scheduling.notify import INVITATION_KIND, local_text, organizer_address
from frontdesk.users.models import User

log = structlog.get_logger("frontdesk.scheduling")


@attachments_for(INVITATION_KIND)
async def invitation_attachment(session: AsyncSession, message: MailMessage) -> list[Attachment]:
    row = await session.scalar(select(InvitationAttachment).where(InvitationAttachment.mail_id == message.id))
    if row is None:
        return []
    name = "cancel.ics" if row.method == "CANCEL" else "invite.ics"
    return [(name, "text/calendar", row.ics.encode(), {"method": row.method})]


@dataclass
class _Work:
    connection: CalendarConnection
    external_id: str | None
    synced_sequence: int


@job_handler("scheduling.sync_booking")
async def sync_booking(ctx: JobContext) -> None:
    """Bring every calendar of the booking's host in line with the booking; raise to retry the rest."""
    runtime = ctx.runtime
    booking_id = uuid.UUID(ctx.payload["booking_id"])
    async with transaction(runtime.read_sessionmaker) as session:
        booking = await session.get(Booking, booking_id)
        if booking is None:
            return
        mt = await session.get(MeetingType, booking.meeting_type_id)
        agent = await session.get(User, booking.agent_id) if booking.agent_id else None
        work: list[_Work] = []
        for conn in await repository.connections_for_host(session, booking.organization_id, booking.agent_id):
            if conn.kind == CalendarKind.BUILTIN:
                continue
            ev = await repository.booking_event(session, booking.id, conn.id)
            work.append(_Work(conn, ev.external_id if ev else None, ev.synced_sequence if ev else -1))
        title = f"{mt.name if mt else 'Meeting'} with {booking.name}"
        attendees = [(booking.email, booking.name)] + ([(agent.email, agent.name)] if agent else [])
        event = CalendarEvent(
            uid=ics.uid(booking),
            start=booking.start_at,
            end=booking.end_at,
            summary=title,
            description=f"{booking.notes}\n\nManage: {links.manage_url(session, booking.id)}".strip(),
            location=booking.location,
            attendees=attendees,
            sequence=booking.sequence,
            ics=ics.invitation(
                booking,
                method=None,
                title=title,
                organizer=organizer_address(session),
                attendees=attendees,
                description=booking.notes,
                stamp=runtime.clock.now(),
            ),
            want_video=bool(mt and mt.location_kind == "video" and not mt.location_value),
        )
        cancelled, sequence = booking.status == CANCELLED, booking.sequence

    results: list[tuple[_Work, str | None, str | None, str | None]] = []  # work, external id, meet url, error
    for item in work:
        if item.synced_sequence == sequence:
            continue
        try:
            plugin = make(item.connection, settings=runtime.settings, decrypt=runtime.secrets.decrypt)
            if cancelled:
                if item.external_id:
                    await plugin.delete_event(item.external_id)
                results.append((item, item.external_id, None, None))
            else:
                ref = await plugin.upsert_event(event, item.external_id)
                results.append((item, ref.external_id, ref.conference_url, None))
            if plugin.state.secret is not None:
                item.connection.secret_encrypted = runtime.secrets.encrypt(json.dumps(plugin.state.secret))
        except (CalendarUnavailable, ValueError, KeyError) as exc:
            log.warning(
                "calendar_sync_failed",
                booking_id=str(booking_id),
                connection_id=str(item.connection.id),
                error=str(exc)[:300],
                attempt=ctx.attempt,
            )
            results.append((item, item.external_id, None, str(exc)[:2000]))

    now = runtime.clock.now()
    async with transaction(runtime.sessionmaker) as session:
        for item, external_id, meet, error in results:
            found = await session.get(CalendarConnection, item.connection.id)
            if found is None:
                continue
            conn = found
            if item.connection.secret_encrypted != conn.secret_encrypted and error is None:
                conn.secret_encrypted = item.connection.secret_encrypted
            conn.last_error = error
            if error is None:
                conn.last_synced_at = now
            ev = await repository.booking_event(session, booking_id, conn.id)
            if ev is None:
                ev = BookingEvent(organization_id=conn.organization_id, booking_id=booking_id, connection_id=conn.id)
                session.add(ev)
            ev.external_id = external_id
            ev.last_error = error
            if error is None:
                ev.synced_sequence = sequence
            if meet:
                ev.conference_url = meet
                fresh = await session.get(Booking, booking_id)
                if fresh is not None and fresh.status == CONFIRMED and not fresh.location.startswith("http"):
                    fresh.location = meet
    failed = [r for r in results if r[3] is not None]
    if failed:
        # Kept in Frontdesk; this job comes back with backoff until the calendars answer.
        raise CalendarUnavailable(f"{len(failed)} calendar(s) unavailable: {failed[0][3]}")


def _reminder_text(booking: Booking, mt: MeetingType | None, minutes: int, manage: str) -> str:
    name = mt.name if mt else "meeting"
    soon = f"in {minutes // 60} hours" if minutes >= 120 else f"in {minutes} minutes"
    where = f" Where: {booking.location}." if booking.location else ""
    return f"Reminder: your {name} is {soon}, on {local_text(booking)}.{where} To move or cancel: {manage}"


@job_handler("scheduling.remind")
async def remind(ctx: JobContext) -> None:
    """Email the customer and, when the booking came from a conversation, say it there too."""
    from frontdesk.messages.service import add_message

    booking_id = uuid.UUID(ctx.payload["booking_id"])
    sequence = int(ctx.payload["sequence"])
    minutes = int(ctx.payload["minutes"])
    async with transaction(ctx.runtime.sessionmaker) as session:
        booking = await session.get(Booking, booking_id)
        if booking is None or booking.status != CONFIRMED or booking.sequence != sequence:
            return  # cancelled or moved since: the move scheduled its own reminders
        mt = await session.get(MeetingType, booking.meeting_type_id)
        text = _reminder_text(booking, mt, minutes, links.manage_url(session, booking.id))
        key = f"reminder:{booking.id}:{sequence}:{minutes}"
        # A rerun after a crash between this commit and the job's "done" could mail twice; the
        # conversation message cannot repeat (its client_id is unique per reminder).
        queue_mail(
            session,
            to=booking.email,
            subject=f"Reminder: {mt.name if mt else 'meeting'} — {local_text(booking)}",
            text=text,
            organization_id=booking.organization_id,
            kind="meeting_reminder",
        )
        if booking.conversation_id is not None:
            conversation = await session.get(Conversation, booking.conversation_id)
            if conversation is not None:
                await add_message(
                    session,
                    conversation,
                    direction="out",
                    sender_type="system",
                    sender_name="Reminder",
                    content=text,
                    client_id=key,
                    payload={"booking_id": str(booking.id), "kind": "meeting_reminder"},
                )
