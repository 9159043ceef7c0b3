"""iCalendar documents: invitations (METHOD:REQUEST / CANCEL) and an agent's private feed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from frontdesk.scheduling.models import CANCELLED, Booking

PRODID = "-//Frontdesk//Meetings//EN"


def uid(booking: Booking) -> str:
    return f"{booking.id}@frontdesk"


def _event(
    booking: Booking,
    *,
    title: str,
    organizer: str,
    attendees: Iterable[tuple[str, str]],
    description: str,
    stamp: datetime,
) -> Event:
    event = Event()
    event.add("uid", uid(booking))
    event.add("dtstamp", stamp)
    event.add("dtstart", booking.start_at)
    event.add("dtend", booking.end_at)
    event.add("sequence", booking.sequence)
    event.add("summary", title)
    event.add("description", description)
    if booking.location:
        event.add("location", booking.location)
    event.add("status", "CANCELLED" if booking.status == CANCELLED else "CONFIRMED")
    org = vCalAddress(f"mailto:{organizer}")
    org.params["cn"] = vText("Frontdesk")
    event["organizer"] = org
    for email, name in attendees:
        who = vCalAddress(f"mailto:{email}")
        who.params["cn"] = vText(name or email)
        who.params["role"] = vText("REQ-PARTICIPANT")
        who.params["partstat"] = vText("NEEDS-ACTION")
        who.params["rsvp"] = vText("TRUE")
        event.add("attendee", who, encode=False)
    return event


def invitation(
    booking: Booking,
    *,
    method: str | None,
    title: str,
    organizer: str,
    attendees: Iterable[tuple[str, str]],
    description: str,
    stamp: datetime,
) -> str:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method is not None:
        # A stored calendar object (CalDAV) must not carry METHOD; a mailed invitation must.
        cal.add("method", method)
    cal.add_component(
        _event(booking, title=title, organizer=organizer, attendees=attendees, description=description, stamp=stamp)
    )
    return cal.to_ical().decode()


def feed(bookings: Iterable[tuple[Booking, str]], *, name: str, organizer: str, stamp: datetime) -> str:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for booking, title in bookings:
        cal.add_component(
            _event(
                booking,
                title=title,
                organizer=organizer,
                attendees=[(booking.email, booking.name)],
                description=booking.notes,
                stamp=stamp,
            )
        )
    return cal.to_ical().decode()
