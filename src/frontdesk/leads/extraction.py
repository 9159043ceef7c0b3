"""Finding lead details in what a customer wrote: rules always, an LLM's structured output when there is one.

Rules read each customer message for emails, international phone numbers, "my name is ...", the
company, what they need, a budget and a time frame. The latest message that states a field wins
(people correct themselves), and the message is kept as the value's source. When the organization
has an LLM, it reads the same messages and answers in the :class:`LeadFields` schema; what it finds
is checked by the same validators, and the rules fill any field it left empty.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.leads.fields import clean_fields, normalise_email, normalise_phone
from frontdesk.leads.models import LEAD_FIELDS
from frontdesk.messages.models import Message

log = structlog.get_logger("frontdesk.leads.extraction")

# How much of a conversation is read: its latest customer messages, newest last.
MAX_MESSAGES = 200
MAX_CHARS_FOR_LLM = 20_000


class LeadFields(BaseModel):
    """The structured output an LLM fills; every field is optional and left null when not stated."""

    name: str | None = Field(None, description="The customer's own full name, as they wrote it.")
    email: str | None = Field(None, description="The customer's email address.")
    phone: str | None = Field(None, description="The customer's phone number in international format (+country code).")
    company: str | None = Field(None, description="The company or organization the customer represents.")
    need: str | None = Field(None, description="What the customer needs or wants, in one sentence.")
    budget: str | None = Field(None, description="The budget they mention, with its currency.")
    timeframe: str | None = Field(None, description="When they need it (a date, 'next month', 'within 2 weeks').")


@dataclass
class Extraction:
    fields: dict[str, str] = field(default_factory=dict)
    sources: dict[str, uuid.UUID] = field(default_factory=dict)
    method: str = "rules"


# ---------------------------------------------------------------- rules

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)\d[\d\s().\-]{6,20}\d")
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'\-]+"
_NAME = re.compile(
    rf"\b(?:my name is|my name's|name:\s*|i am|i'm|im|this is|call me|it's|it is)\s+"
    rf"({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})",
    re.IGNORECASE,
)
_NOT_NAMES = {
    "interested", "looking", "from", "here", "fine", "good", "ok", "okay", "not", "a", "an", "the", "just",
    "trying", "calling", "writing", "wondering", "sure", "back", "with", "at", "in", "on", "ready", "available",
}  # fmt: skip
_COMPANY = re.compile(
    r"\b(?i:i work (?:at|for)|we are|we're|i(?:'m| am) (?:with|from)|my company is|our company is|"
    r"company(?: name)?(?: is|:)|on behalf of|representing)\s+"
    r"([A-Z0-9][\w&.\-']*(?:\s+[A-Z0-9&][\w&.\-']*){0,4})"
)
_COMPANY_SUFFIX = re.compile(
    r"\b([A-Z][\w&\-']*(?:\s+[A-Z][\w&\-']*){0,3}\s+(?:Inc|Ltd|LLC|GmbH|SA|SAS|BV|AG|Corp|Co|Limited|PLC)\.?)(?=\W|$)"
)
_NEED = re.compile(
    r"\b(?:i need|we need|i'm looking for|we're looking for|i am looking for|we are looking for|looking for|"
    r"interested in|i want|we want|i would like|we would like|i'd like|we'd like|need help with)\s+([^.!?\n]{3,300})",
    re.IGNORECASE,
)
_NEED_END = re.compile(
    r"[,;]|\s(?:by|within|before|until|for around|budget|asap|and my|my email|email)\b", re.IGNORECASE
)
_MONEY = (
    r"(?:[$€£¥₹]\s?\d[\d,.\s]*(?:\s?[kKmM]\b)?|\d[\d,.]*\s?(?:[kKmM]\b)?\s?"
    r"(?:USD|EUR|GBP|CHF|INR|AUD|CAD|dollars|euros|pounds|bucks)\b)"
)
_BUDGET = re.compile(
    rf"(?:\bbudget\b[^.!?\n\d$€£¥₹]{{0,30}}(?P<a>{_MONEY}|\d[\d,.]*\s?[kK]?\b)|(?P<b>{_MONEY}))", re.IGNORECASE
)
_UNITS = r"(?:days?|weeks?|months?|years?|quarters?)"
_MONTHS = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_TIMEFRAME = re.compile(
    rf"\b(asap|as soon as possible|urgent(?:ly)?|right away|immediately|"
    rf"(?:within|in)\s+(?:the\s+next\s+)?(?:\d+|a|one|two|three|four|six|a few|a couple of)\s+{_UNITS}|"
    rf"(?:by|before|until)\s+(?:the\s+end\s+of\s+)?(?:next\s+|this\s+)?(?:{_MONTHS}|{_UNITS[3:-1]}|q[1-4]|\d{{4}}|tomorrow|"
    rf"friday|monday|tuesday|wednesday|thursday|saturday|sunday)(?:\s+\d{{1,2}})?|"
    rf"(?:next|this)\s+(?:week|month|quarter|year|spring|summer|autumn|fall|winter)|"
    rf"in\s+q[1-4](?:\s+\d{{4}})?|end of (?:the\s+)?(?:week|month|quarter|year))\b",
    re.IGNORECASE,
)


def _first_valid(pattern: re.Pattern[str], text: str, check: Any) -> str | None:
    found = None
    for match in pattern.finditer(text):
        try:
            found = check(match.group(0))
        except ValueError:
            continue
    return found


def rules(text: str) -> dict[str, str]:
    """Lead fields stated in one message, by rules; the offline model and the fallback both use this."""
    out: dict[str, str] = {}
    email = _first_valid(_EMAIL, text, normalise_email)
    if email:
        out["email"] = email
    phone = _first_valid(_PHONE, text, normalise_phone)
    if phone:
        out["phone"] = phone
    for match in _NAME.finditer(text):
        words = match.group(1).split()
        # "I'm Looking for", "This is Great": stop at the first word that is not a name.
        kept = []
        for word in words:
            if word.lower() in _NOT_NAMES or not word[0].isupper():
                break
            kept.append(word)
        if kept:
            out["name"] = " ".join(kept)
            break
    company = _COMPANY.search(text) or _COMPANY_SUFFIX.search(text)
    if company:
        # A sentence ends the name: "Acme Corp. Email me..." is "Acme Corp".
        value = re.split(r"[.!?]\s", company.group(1))[0].strip(" .,'")
        if value and value[0].isupper() and value.lower() not in _NOT_NAMES:
            out["company"] = value
    need = _NEED.search(text)
    if need:
        # The need ends where another detail (budget, timing) starts.
        value = _NEED_END.split(need.group(1), maxsplit=1)[0]
        out["need"] = value.strip(" ,;:")
    budget = _BUDGET.search(text)
    if budget:
        out["budget"] = (budget.group("a") or budget.group("b") or "").strip(" ,.")
    timeframe = _TIMEFRAME.search(text)
    if timeframe:
        out["timeframe"] = timeframe.group(1).strip()
    return {k: v for k, v in out.items() if v}


async def customer_messages(session: AsyncSession, conversation_id: uuid.UUID) -> list[Message]:
    rows = await session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == "in",
            Message.private.is_(False),
            Message.deleted_at.is_(None),
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(MAX_MESSAGES)
    )
    return list(reversed(list(rows)))


def extract_by_rules(messages: list[Message]) -> Extraction:
    result = Extraction(method="rules")
    for message in messages:
        for key, value in rules(message.content or "").items():
            result.fields[key] = value
            result.sources[key] = message.id
    return result


# ---------------------------------------------------------------- LLM


async def model_for_org(session: AsyncSession, organization_id: uuid.UUID) -> Any | None:
    """The organization's LLM chain for structured output, or None (rules only).

    The assistant domain's providers registry decides: ``model_for_organization`` answers None when
    the organization has nothing but the built-in offline model, which cannot fill a schema.
    """
    try:
        from frontdesk.assistant.providers import registry
    except ImportError:
        return None
    pick = getattr(registry, "model_for_organization", None)
    if pick is None:
        return None
    try:
        model = await pick(session, session.info["runtime"], organization_id)
    except Exception:
        log.warning("lead_extraction_model_unavailable", organization_id=str(organization_id), exc_info=True)
        return None
    if model is None or _is_offline(model):
        return None
    return model


def _is_offline(model: Any) -> bool:
    from pydantic_ai.models.function import FunctionModel

    return isinstance(model, FunctionModel) and str(getattr(model, "model_name", "")).startswith(
        ("local", "function:local")
    )


async def extract_by_llm(model: Any, messages: list[Message]) -> dict[str, str]:
    from pydantic_ai import Agent

    transcript = "\n".join(f"- {m.content}" for m in messages if m.content)[-MAX_CHARS_FOR_LLM:]
    agent: Agent[None, LeadFields] = Agent(
        model,
        output_type=LeadFields,
        instructions=(
            "Extract sales-lead details that the customer stated about themselves in these chat messages. "
            "Leave a field null unless the customer clearly stated it. Phone numbers in international format."
        ),
    )
    result = await agent.run(f"Customer messages, oldest first:\n{transcript}")
    output = result.output
    return {k: v for k, v in output.model_dump().items() if isinstance(v, str) and v.strip()}


def _source_of(value: str, messages: list[Message]) -> uuid.UUID | None:
    """The latest message that contains the value (or its digits, for phones)."""
    needle = value.lower()
    digits = re.sub(r"\D", "", value)
    for message in reversed(messages):
        text = (message.content or "").lower()
        if needle in text or (len(digits) >= 7 and digits in re.sub(r"\D", "", text)):
            return message.id
    return messages[-1].id if messages else None


async def extract(
    session: AsyncSession, organization_id: uuid.UUID, conversation_id: uuid.UUID, *, model: Any | None = None
) -> Extraction:
    """What the conversation's customer messages say about the lead; ``model`` overrides the org's LLM."""
    messages = await customer_messages(session, conversation_id)
    found = extract_by_rules(messages)
    llm = model if model is not None else await model_for_org(session, organization_id)
    if llm is None or not messages:
        return found
    try:
        raw = await extract_by_llm(llm, messages)
    except Exception:
        # A provider that is down must not lose what the rules found.
        log.warning("lead_extraction_llm_failed", organization_id=str(organization_id), exc_info=True)
        return found
    accepted, _ = clean_fields({k: v for k, v in raw.items() if k in LEAD_FIELDS})
    merged = Extraction(fields=dict(found.fields), sources=dict(found.sources), method="llm")
    for key, value in accepted.items():
        merged.fields[key] = value
        source = _source_of(value, messages)
        if source is not None:
            merged.sources[key] = source
    return merged
