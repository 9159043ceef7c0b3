"""The kinds of notification, what they are called, and how each role hears about them by default.

Defaults lean quiet: a notification that interrupts costs attention, so only what needs the person
soon (a conversation handed to them, a mention, a meeting) rings the browser or sends a mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EmailMode = Literal["off", "immediate", "digest"]
EMAIL_MODES: tuple[EmailMode, ...] = ("off", "immediate", "digest")


@dataclass(frozen=True)
class Channels:
    in_app: bool
    email: EmailMode
    browser: bool


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    # Defaults for people who answer customers (agents) and for those who run the place (owners, admins).
    agent: Channels
    manager: Channels


_LOUD = Channels(in_app=True, email="off", browser=True)
_QUIET = Channels(in_app=True, email="off", browser=False)
_MAILED = Channels(in_app=True, email="immediate", browser=True)
_DIGEST = Channels(in_app=True, email="digest", browser=False)

KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("conversation_assigned", "A conversation was assigned to me", _LOUD, _LOUD),
        Kind("escalation_waiting", "A customer waits for a person in my inbox", _LOUD, _LOUD),
        Kind("mention", "Someone mentioned me in a private note", _MAILED, _MAILED),
        Kind("delivery_failed", "A message could not be delivered", _LOUD, _QUIET),
        Kind("flow_failed", "A bot flow failed", _QUIET, _DIGEST),
        Kind("lead_followup_due", "A lead's follow-up is due", _MAILED, _MAILED),
        # The calendar invitation (or its cancellation) is already mailed: no second mail by default.
        Kind("meeting_booked", "A meeting was booked with me", _LOUD, _LOUD),
        Kind("meeting_cancelled", "A meeting with me was cancelled", _LOUD, _LOUD),
        Kind("invitation_accepted", "Someone accepted my invitation", _QUIET, _DIGEST),
        Kind("announcement", "Announcements from the organization's admins", _QUIET, _QUIET),
    )
}


def defaults(kind: str, role: str | None) -> Channels:
    entry = KINDS[kind]
    return entry.manager if role in ("owner", "admin") else entry.agent
