"""What follows a booking change: invitation mails with an .ics, reminders and calendar sync.

All of it is queued in the booking's own transaction, so it happens exactly when the booking
commits, and survives restarts (jobs are rows).
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.jobs import enqueue
from frontdesk.mail.service import queue_mail
from frontdesk.scheduling import ics, links
from frontdesk.scheduling.models import Booking, InvitationAttachment, MeetingType
from frontdesk.users.models import User

INVITATION_KIND = "meeting_invitation"
# A calendar server down for a day still gets the booking: backoff tops out at an hour.
SYNC_ATTEMPTS = 40

_VERBS = {"booked": "Invitation", "rescheduled": "Updated invitation", "cancelled": "Cancelled"}


def organizer_address(session: AsyncSession) -> str:
    return parseaddr(session.info["runtime"].settings.mail_from)[1] or "frontdesk@localhost"


def local_text(booking: Booking) -> str:
    local = booking.start_at.astimezone(ZoneInfo(booking.timezone))
    return local.strftime("%A %d %B %Y, %H:%M ") + (local.tzname() or booking.timezone) + f" ({booking.timezone})"


async def booking_changed(session: AsyncSession, booking: Booking, mt: MeetingType, action: str) -> None:
    await _invitations(session, booking, mt, action)
    if booking.agent_id is not None and action in ("booked", "cancelled"):
        from frontdesk.notifications.service import notify as notify_person

        await notify_person(
            session,
            organization_id=booking.organization_id,
            user_ids=[booking.agent_id],
            kind="meeting_booked" if action == "booked" else "meeting_cancelled",
            title=f"{mt.name} with {booking.name} {'booked' if action == 'booked' else 'cancelled'}",
            body=local_text(booking),
            link="/app/meetings",
            data={"booking_id": str(booking.id), "meeting_type_id": str(mt.id)},
        )
    if action != "cancelled":
        schedule_reminders(session, booking, mt)
    enqueue(
        session,
        "scheduling.sync_booking",
        {"booking_id": str(booking.id)},
        organization_id=booking.organization_id,
        max_attempts=SYNC_ATTEMPTS,
    )


async def _invitations(session: AsyncSession, booking: Booking, mt: MeetingType, action: str) -> None:
    method = "CANCEL" if action == "cancelled" else "REQUEST"
    now = session.info["runtime"].clock.now()
    agent = await session.get(User, booking.agent_id) if booking.agent_id else None
    attendees = [(booking.email, booking.name)] + ([(agent.email, agent.name)] if agent else [])
    title = f"{mt.name} with {booking.name}"
    manage = links.manage_url(session, booking.id)
    when = local_text(booking)
    body_customer = f"{_VERBS[action]}: {mt.name}\n\nWhen: {when}\nWhere: {booking.location or '-'}\n\n" + (
        f"To move or cancel this meeting: {manage}\n" if action != "cancelled" else "This meeting is cancelled.\n"
    )
    recipients = [(booking.email, body_customer)]
    if agent is not None:
        recipients.append(
            (
                agent.email,
                f"{_VERBS[action]}: {mt.name} with {booking.name} <{booking.email}>\n\nWhen: {when}\n"
                f"Where: {booking.location or '-'}\nNotes: {booking.notes or '-'}\n",
            )
        )
    document = ics.invitation(
        booking,
        method=method,
        title=title,
        organizer=organizer_address(session),
        attendees=attendees,
        description=f"{mt.description}\n\nManage: {manage}".strip(),
        stamp=now,
    )
    for address, text in recipients:
        mail = queue_mail(
            session,
            to=address,
            subject=f"{_VERBS[action]}: {mt.name} — {when}",
            text=text,
            organization_id=booking.organization_id,
            kind=INVITATION_KIND,
        )
        session.add(
            InvitationAttachment(organization_id=booking.organization_id, mail_id=mail.id, method=method, ics=document)
        )


def schedule_reminders(session: AsyncSession, booking: Booking, mt: MeetingType) -> None:
    """One job per configured offset, bound to the booking's sequence: a move makes old ones no-ops."""
    now = session.info["runtime"].clock.now()
    for minutes in mt.reminder_minutes or []:
        due = booking.start_at - timedelta(minutes=minutes)
        if due <= now:
            continue
        enqueue(
            session,
            "scheduling.remind",
            {"booking_id": str(booking.id), "sequence": booking.sequence, "minutes": minutes},
            due_at=due,
            organization_id=booking.organization_id,
            dedupe_key=f"scheduling.remind:{booking.id}:{booking.sequence}:{minutes}",
        )
