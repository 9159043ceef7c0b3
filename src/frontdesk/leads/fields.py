"""Checking and normalising what a lead is told: emails, international phone numbers, lengths.

A bad value is refused with a reason the caller can show; it is never stored half-right.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from frontdesk.leads.models import LEAD_FIELDS

MAX_LENGTHS = {
    "name": 200,
    "email": 320,
    "phone": 40,
    "company": 200,
    "need": 4000,
    "budget": 200,
    "timeframe": 200,
}

# ITU-T E.164: a country code and subscriber number, at most 15 digits, never starting with 0.
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# What people type around the digits: spaces, dots, dashes, brackets, and "00" for "+".
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")


def normalise_email(raw: str) -> str:
    """The address as we store it; raises ``ValueError`` with the reason when it is not an address."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    local, _, domain = checked.normalized.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalise_phone(raw: str) -> str:
    """E.164 (``+4915112345678``); raises ``ValueError`` when the number is not in international form.

    Without a country code a number is ambiguous (which country's 0151...?), so it is refused rather
    than guessed.
    """
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        # "+44 (0)20 ..." is a common way to write a number; the (0) is not dialled from abroad.
        text = text.replace("(0)", "")
    compact = _PHONE_PUNCTUATION.sub("", text)
    if not compact.startswith("+"):
        raise ValueError("a phone number must be in international format, starting with + and the country code")
    if not _E164.match(compact):
        raise ValueError("a phone number has a country code and 7 to 15 digits in all")
    return compact


def clean_fields(fields: dict[str, str | None]) -> tuple[dict[str, str], dict[str, str]]:
    """(accepted, rejected): accepted values normalised; rejected maps the field to the reason.

    Empty values and ``None`` mean "nothing said" and are neither accepted nor rejected: a capture
    never blanks a field someone filled.
    """
    accepted: dict[str, str] = {}
    rejected: dict[str, str] = {}
    for key, value in fields.items():
        if key not in LEAD_FIELDS:
            rejected[key] = "not a lead field"
            continue
        if value is None:
            continue
        text = " ".join(str(value).replace("\x00", "").split()) if key != "need" else str(value).replace("\x00", "")
        text = text.strip()
        if not text:
            continue
        try:
            if key == "email":
                text = normalise_email(text)
            elif key == "phone":
                text = normalise_phone(text)
        except ValueError as exc:
            rejected[key] = str(exc)
            continue
        limit = MAX_LENGTHS[key]
        if len(text) > limit:
            if key in ("email", "phone"):
                rejected[key] = f"longer than {limit} characters"
                continue
            text = text[:limit].rstrip()
        accepted[key] = text
    return accepted, rejected


def completeness_score(values: dict[str, str | None]) -> int:
    """0-100 from what is known: a way to reach them counts most, then what they need and can spend."""
    weights = {"email": 25, "phone": 15, "name": 10, "company": 10, "need": 20, "budget": 10, "timeframe": 10}
    return sum(w for key, w in weights.items() if values.get(key))
