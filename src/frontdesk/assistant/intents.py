"""Rules for what a customer's message is, before any knowledge is searched.

Small talk, a request for a person, for a meeting, contact details and frustration are recognised
here, for the local model and for the intent label on every inbound message whatever the model.
Deliberately conservative: a message with a real question in it is a question, not small talk.
"""

from __future__ import annotations

import re

from frontdesk.conversations.inbound import asks_for_person

_GREETING = re.compile(
    r"^\s*(hi|hello|hey|hiya|howdy|good\s+(morning|afternoon|evening|day)|greetings|yo|hallo|hola|bonjour)"
    r"(\s+there)?\s*[!.,]*\s*$",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^\s*((many\s+)?thanks?( you)?( so much| a lot| very much)?|thx|ty|cheers|great,? thanks?|perfect,? thanks?|"
    r"ok(ay)?,? thanks?( you)?|that('s| is) (great|helpful|perfect))\s*[!.]*\s*$",
    re.IGNORECASE,
)
_GOODBYE = re.compile(
    r"^\s*(bye|goodbye|good\s*bye|see you|see ya|have a (good|nice) (day|one)|that'?s all|nothing else)\s*[!.]*\s*$",
    re.IGNORECASE,
)
_MEETING = re.compile(
    r"\b(book|schedule|arrange|set up|setup)\b.{0,30}\b(meeting|call|demo|appointment|consultation|session)\b"
    r"|\b(meeting|appointment|demo|call)\b.{0,20}\b(with you|with someone|please|available|availability)\b"
    r"|\bgoogle meet\b|\bwhen are you (free|available)\b",
    re.IGNORECASE,
)
# Wider than the channel's rule (which hands over before the assistant runs): here a false positive
# costs less, since the assistant still says what it does.
_PERSON = re.compile(
    r"\b(a|some|real|live|actual)\s+(human|person|people|representative|operator)\b"
    r"|\b(customer service|support)\s+(agent|representative|person)\b|\bsomeone from your (team|staff|company)\b"
    r"|\b(get|need|want)\s+(an?\s+)?(agent|human|operator)\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{6,18}\d(?![\w])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}")
_NAME = re.compile(
    r"\b(?:my name is|my name's|i am|i'm|this is|call me)\s+([A-Z][a-zA-Z'\-]+(?:\s+[A-Z][a-zA-Z'\-]+)?)",
)
_NAME_CI = re.compile(r"\b(?:my name is|my name's|call me)\s+([a-zA-Z][a-zA-Z'\-]+(?:\s+[a-zA-Z][a-zA-Z'\-]+)?)", re.I)
_COMPANY = re.compile(
    r"\b(?i:i work (?:at|for)|from the company|our company is|company:)\s+([A-Z][\w&.\-]*(?: [A-Z][\w&.\-]*){0,4})"
)
_FRUSTRATED = re.compile(
    r"\b(useless|stupid|ridiculous|not helpful|unhelpful|doesn'?t help|didn'?t help|you don'?t understand|"
    r"that'?s not what i asked|wrong answer|waste of time|annoying|frustrat\w*|terrible|awful)\b|!!+|\?\?+",
    re.IGNORECASE,
)
# Words after "I am" that are not names ("I am looking", "I'm Interested").
_NOT_NAMES_WORDS = (
    "a an the looking interested not here trying having going just very so sorry happy glad fine good "
    "ok okay new from in at on with calling writing asking wondering unable able"
)
_NOT_NAMES = frozenset(_NOT_NAMES_WORDS.split())

SMALL_TALK = {
    "greeting": "Hello! How can I help you today?",
    "thanks": "You're welcome! Is there anything else I can help with?",
    "goodbye": "Goodbye, and thanks for getting in touch!",
}


def classify(text: str) -> str:
    """``human``, ``meeting``, ``greeting``, ``thanks``, ``goodbye`` or ``question``."""
    if asks_for_person(text) or _PERSON.search(text):
        return "human"
    if _MEETING.search(text):
        return "meeting"
    if _GREETING.match(text):
        return "greeting"
    if _THANKS.match(text):
        return "thanks"
    if _GOODBYE.match(text):
        return "goodbye"
    return "question"


def contact_details(text: str) -> dict[str, str]:
    """Names, emails, phone numbers (and a company) the customer wrote about themselves."""
    found: dict[str, str] = {}
    if m := _EMAIL.search(text):
        found["email"] = m.group(0)
    scrubbed = _EMAIL.sub(" ", text)
    for m in _PHONE.finditer(scrubbed):
        digits = re.sub(r"\D", "", m.group(0))
        if 7 <= len(digits) <= 15 and not _DATE.search(m.group(0)):
            found["phone"] = m.group(0).strip()
            break
    m = _NAME_CI.search(text) or _NAME.search(text)
    if m:
        name = m.group(1).strip()
        first = name.split()[0].lower()
        if first not in _NOT_NAMES:
            parts = name.split()
            if len(parts) > 1 and parts[1].lower() in _NOT_NAMES | {"and", "my", "i", "email", "phone"}:
                name = parts[0]
            found["name"] = name.title() if name.islower() else name
    if m := _COMPANY.search(text):
        found["company"] = m.group(1).strip().rstrip(".")
    return found


def frustrated(text: str) -> bool:
    return bool(_FRUSTRATED.search(text))
