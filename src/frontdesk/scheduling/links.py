"""Signed links that let a customer move or cancel their own booking without an account.

The token names the booking and carries an HMAC of it under a key derived from the installation's
secret, so it cannot be forged or moved to another booking. It stays valid across reschedules and
stops mattering once the meeting is cancelled or over.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.crypto import constant_time_equal
from frontdesk.kit.errors import NotFound


def _key(session: AsyncSession) -> bytes:
    secret: str = session.info["runtime"].settings.signing_key
    return hashlib.sha256(b"frontdesk-booking-link:" + secret.encode()).digest()


def sign(session: AsyncSession, booking_id: uuid.UUID) -> str:
    mac = hmac.new(_key(session), booking_id.bytes, hashlib.sha256).hexdigest()[:40]
    return f"{booking_id.hex}.{mac}"


def verify(session: AsyncSession, token: str) -> uuid.UUID:
    """The booking a token names; a bad token answers 404 like an unknown booking."""
    try:
        raw_id, mac = token.split(".", 1)
        booking_id = uuid.UUID(hex=raw_id)
    except ValueError as exc:
        raise NotFound("This booking link is not valid.") from exc
    expected = hmac.new(_key(session), booking_id.bytes, hashlib.sha256).hexdigest()[:40]
    if not constant_time_equal(mac, expected):
        raise NotFound("This booking link is not valid.")
    return booking_id


def manage_url(session: AsyncSession, booking_id: uuid.UUID) -> str:
    base: str = session.info["runtime"].settings.public_url.rstrip("/")
    return f"{base}/manage-booking/{sign(session, booking_id)}"
