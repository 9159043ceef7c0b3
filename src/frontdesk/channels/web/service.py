"""The website widget: a visitor, known by a token we issue, talks to an inbox through its public token.

Who the visitor is:

- The inbox's public token (in the snippet) names the inbox; it is public by design, so it grants
  nothing by itself beyond starting a session.
- Each session answers with a *visitor token*: HMAC-signed (with the installation's signing key)
  over the inbox id and the visitor's external id. The widget keeps it in localStorage and sends it
  with every call; nobody can mint one for another visitor, and one inbox's token means nothing to
  another inbox.
- Anonymous visitors get ``visitor:<random uuid>``; a visitor whose ``setUser`` carried a valid
  identity hash gets ``user:<id>``, marked verified. Without a valid hash, ``setUser`` only fills in
  the name and email of the anonymous contact, so nobody can read another user's conversations by
  claiming their id.

Contacts are created lazily (first message, pre-chat form, attributes or a named user), so the many
visitors who never write do not fill the contact list.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope, require
from frontdesk.authz.subject import AuthSubject
from frontdesk.channels.web import repository, schemas, storage
from frontdesk.contacts import repository as contacts_repo
from frontdesk.contacts import service as contacts
from frontdesk.contacts.models import Contact
from frontdesk.conversations import csat, inbound
from frontdesk.conversations import repository as conversations_repo
from frontdesk.conversations.models import Conversation
from frontdesk.inboxes import hours
from frontdesk.inboxes import repository as inboxes
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from frontdesk.kit.events import org_topic, publish_on_commit
from frontdesk.messages import repository as messages_repo
from frontdesk.messages.schemas import MAX_TEXT, Message
from frontdesk.messages.service import conversation_topic, to_schema

CHANNEL = "web"
HISTORY = 50
TOKEN_VERSION = "v1"


def _runtime(session: AsyncSession) -> Any:
    return session.info["runtime"]


def _now(session: AsyncSession) -> datetime:
    return _runtime(session).clock.now()


def visitor_topic(inbox_id: uuid.UUID, external_id: str) -> str:
    """Events for one visitor that are not about one conversation: a new conversation started."""
    digest = hashlib.sha256(external_id.encode()).hexdigest()[:32]
    return f"widget:{inbox_id}:{digest}"


# ---------------------------------------------------------------- visitor tokens


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _token_mac(signing_key: str, body: str) -> str:
    return _b64(hmac.new(signing_key.encode(), f"widget-visitor\x00{body}".encode(), hashlib.sha256).digest())


def issue_visitor_token(signing_key: str, inbox_id: uuid.UUID, external_id: str) -> str:
    body = _b64(json.dumps({"i": str(inbox_id), "x": external_id}, separators=(",", ":")).encode())
    return f"{TOKEN_VERSION}.{body}.{_token_mac(signing_key, body)}"


def read_visitor_token(signing_key: str, token: str) -> tuple[uuid.UUID, str] | None:
    """(inbox id, external id) of a token we issued, or None for anything else."""
    try:
        version, body, mac = token.split(".")
    except (ValueError, AttributeError):
        return None
    if version != TOKEN_VERSION or not hmac.compare_digest(_token_mac(signing_key, body), mac):
        return None
    try:
        claims = json.loads(_unb64(body))
        return uuid.UUID(claims["i"]), str(claims["x"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None


# ---------------------------------------------------------------- the inbox and the visitor


@dataclass
class Visitor:
    inbox: Inbox
    external_id: str
    contact: Contact | None

    @property
    def verified(self) -> bool:
        return self.external_id.startswith("user:")

    @property
    def rate_key(self) -> str:
        return f"{self.inbox.id}:{self.external_id}"


async def widget_inbox(session: AsyncSession, public_token: str) -> Inbox:
    inbox = await inboxes.by_public_token(session, public_token) if public_token else None
    if inbox is None or inbox.channel != CHANNEL:
        raise NotFound("No such widget.", code="inbox_not_found")
    return inbox


def origin_allowed(public_url: str, inbox: Inbox, origin: str | None) -> bool:
    """An inbox with allowed origins answers only pages on those sites (and Frontdesk's own demo page).

    A request without an Origin header is not from a page on another site (browsers always send one
    cross-origin), so it is let through; the check stops other sites from embedding the widget,
    not servers from calling the API.
    """
    allowed = [o.rstrip("/").lower() for o in (inbox.allowed_origins or [])]
    if not allowed or not origin:
        return True
    origin = origin.rstrip("/").lower()
    return origin in allowed or origin == public_url.rstrip("/").lower()


def check_origin(session: AsyncSession, inbox: Inbox, origin: str | None) -> None:
    if not origin_allowed(_runtime(session).settings.public_url, inbox, origin):
        raise Forbidden("This site is not allowed to use this chat widget.", code="origin_not_allowed")


async def visitor_from_token(session: AsyncSession, inbox: Inbox, token: str | None) -> Visitor:
    """The visitor a request speaks for; refuses tokens of other inboxes and forged ones."""
    claims = read_visitor_token(_runtime(session).settings.signing_key, token or "")
    if claims is None or claims[0] != inbox.id:
        raise Unauthorized("Start a widget session first.", code="visitor_token_invalid")
    external_id = claims[1]
    if inbox.require_identity and not external_id.startswith("user:"):
        raise Forbidden("This chat needs a signed-in user.", code="identity_required")
    contact = await contacts_repo.by_identity(session, inbox.organization_id, CHANNEL, external_id)
    return Visitor(inbox=inbox, external_id=external_id, contact=contact)


def _visitor_scope(inbox: Inbox) -> OrgScope:
    """The visitor may change their own contact's attributes, in the inbox's organization only.

    Scopes come only from ``authz.require``; the visitor acts with a subject that holds nothing but
    ``contacts.write`` there.
    """
    subject = AuthSubject(
        kind="visitor",
        label="widget visitor",
        memberships={inbox.organization_id: "visitor"},
        organization_id=inbox.organization_id,
        scopes=frozenset({"contacts.write"}),
    )
    return require(subject, "contacts.write")


async def _limit(session: AsyncSession, key: str, what: str = "messages") -> None:
    runtime = _runtime(session)
    await runtime.limiter.hit(runtime.settings.rate_limit_widget, "widget", key, what=what)


async def _ensure_contact(
    session: AsyncSession, visitor: Visitor, *, name: str = "", email: str | None = None
) -> Contact:
    if visitor.contact is None:
        visitor.contact, _ = await contacts.find_or_create(
            session,
            visitor.inbox.organization_id,
            channel=CHANNEL,
            external_id=visitor.external_id,
            name=name,
            email=email,
            verified=visitor.verified,
        )
    return visitor.contact


# ---------------------------------------------------------------- sessions


async def start_session(
    session: AsyncSession, inbox: Inbox, data: schemas.SessionCreate, *, ip: str | None
) -> schemas.WidgetSession:
    """Create or resume the visitor's session; with ``user``, verify (or just record) who they are."""
    runtime = _runtime(session)
    key = runtime.settings.signing_key
    claims = read_visitor_token(key, data.visitor_token) if data.visitor_token else None
    previous = claims[1] if claims is not None and claims[0] == inbox.id else None
    user = data.user
    verified_id: str | None = None
    if user is not None and user.hash:
        from frontdesk.inboxes.service import verify_identity

        if not verify_identity(runtime, inbox, user.id, user.hash):
            raise Forbidden("The identity hash does not match this user.", code="identity_invalid")
        verified_id = f"user:{user.id}"
    if inbox.require_identity and verified_id is None:
        raise Forbidden(
            "This chat needs a signed-in user: call Frontdesk.setUser with the identity hash.",
            code="identity_required",
        )
    # New anonymous visitors are counted per address (that is what a bot flooding sessions varies
    # least); returning ones per visitor, so an office behind one address is not throttled as one.
    await _limit(session, previous or f"ip:{ip or '-'}", what="chat sessions")

    if verified_id is not None:
        external_id = verified_id
        contact = await contacts_repo.by_identity(session, inbox.organization_id, CHANNEL, external_id)
        if contact is None and previous is not None and previous.startswith("visitor:"):
            contact = await _adopt_anonymous(session, inbox, previous, external_id)
    else:
        # A user:<id> token presented without a hash (a signed-out page) goes back to being anonymous.
        anonymous = previous is not None and previous.startswith("visitor:")
        external_id = previous if previous is not None and anonymous else f"visitor:{uuid.uuid4()}"
        contact = await contacts_repo.by_identity(session, inbox.organization_id, CHANNEL, external_id)
    visitor = Visitor(inbox=inbox, external_id=external_id, contact=contact)
    if user is not None and (user.name or user.email):
        await _fill_contact(session, visitor, name=user.name, email=user.email, trusted=verified_id is not None)

    messages: list[Message] = []
    cursor: str | None = None
    conv_state = None
    if visitor.contact is not None:
        visitor.contact.last_seen_at = _now(session)
        rows, cursor = await repository.visitor_timeline(
            session, inbox.id, visitor.contact.id, after=None, limit=HISTORY
        )
        messages = [_public(session, m) for m in rows]
        conv_state = await _conversation_state(session, visitor)
    now = _now(session)
    return schemas.WidgetSession(
        visitor_token=issue_visitor_token(key, inbox.id, external_id),
        visitor=schemas.VisitorInfo(
            id=external_id,
            verified=visitor.verified,
            name=visitor.contact.name if visitor.contact else (user.name if user else ""),
            email=visitor.contact.email if visitor.contact else None,
        ),
        inbox=schemas.WidgetInbox(
            name=inbox.name, color=inbox.widget_color, position=inbox.widget_position, greeting=inbox.greeting
        ),
        open_now=hours.is_open(inbox.business_hours or {}, inbox.timezone, now),
        out_of_office_message=inbox.out_of_office_message,
        agents_online=await repository.agents_online(session, inbox.organization_id),
        prechat=_prechat(visitor),
        csat_enabled=inbox.csat_enabled,
        conversation=conv_state,
        messages=messages,
        cursor=cursor,
        limits=schemas.Limits(
            max_text=MAX_TEXT,
            max_attachment_bytes=storage.effective_limit(runtime.settings),
            attachment_types=sorted(storage.ALLOWED),
        ),
    )


async def _adopt_anonymous(
    session: AsyncSession, inbox: Inbox, anonymous: str, user_external_id: str
) -> Contact | None:
    """A visitor who chatted anonymously and then signed in keeps their conversation.

    Only when the signed-in user has no contact yet: two existing contacts are never merged here,
    because that would hand one person's history to whoever shares the browser next.
    """
    contact = await contacts_repo.by_identity(session, inbox.organization_id, CHANNEL, anonymous)
    if contact is None:
        return None
    identity = await repository.identity(session, inbox.organization_id, CHANNEL, anonymous)
    if identity is None:
        return None
    identity.external_id = user_external_id
    identity.verified = True
    await session.flush()
    return contact


async def _fill_contact(
    session: AsyncSession, visitor: Visitor, *, name: str, email: str | None, trusted: bool
) -> None:
    """Names from a verified setUser replace what was there; unverified ones only fill gaps."""
    contact = await _ensure_contact(session, visitor, name=name.strip(), email=email)
    changed = []
    if name.strip() and (trusted or not contact.name) and contact.name != name.strip():
        contact.name = name.strip()
        changed.append("name")
    if email and (trusted or not contact.email) and contact.email != email:
        contact.email = email
        changed.append("email")
    if changed:
        publish_on_commit(
            session,
            org_topic(contact.organization_id),
            {"type": "contact.updated", "contact_id": str(contact.id), "fields": changed},
        )


def _prechat(visitor: Visitor) -> schemas.Prechat:
    fields = list(visitor.inbox.prechat_fields or [])
    if visitor.inbox.prechat_required and not fields:
        fields = ["name", "email"]
    contact = visitor.contact
    completed = contact is not None and all(getattr(contact, f, None) for f in fields)
    return schemas.Prechat(required=bool(visitor.inbox.prechat_required), fields=fields, completed=completed)


def _public(session: AsyncSession, message: Any) -> Message:
    out = to_schema(message, for_agent=False)
    return sign_message(session, out)


def sign_message(session: AsyncSession, message: Message) -> Message:
    if message.attachments:
        runtime = _runtime(session)
        message.attachments = storage.signed_attachments(
            runtime.settings, message.attachments, runtime.clock.now().timestamp()
        )
    return message


async def _latest(session: AsyncSession, visitor: Visitor) -> Conversation | None:
    if visitor.contact is None:
        return None
    return await conversations_repo.latest_for_contact(session, visitor.inbox.id, visitor.contact.id)


def _conversation_schema(
    conv: Conversation, *, rated: bool, csat_enabled: bool, agent_read_at: datetime | None
) -> schemas.WidgetConversation:
    return schemas.WidgetConversation(
        id=conv.id,
        status=conv.status,
        human=conv.mode != "ai" and conv.status in ("pending", "open"),
        csat_requested=conv.status == "resolved" and csat_enabled and not rated,
        rated=rated,
        agent_read_at=agent_read_at,
    )


async def _conversation_state(session: AsyncSession, visitor: Visitor) -> schemas.WidgetConversation | None:
    conv = await _latest(session, visitor)
    if conv is None:
        return None
    return await _state_of(session, visitor.inbox, conv)


async def _state_of(session: AsyncSession, inbox: Inbox, conv: Conversation) -> schemas.WidgetConversation:
    rated = await conversations_repo.rating(session, conv.id) is not None
    return _conversation_schema(
        conv,
        rated=rated,
        csat_enabled=inbox.csat_enabled,
        agent_read_at=await repository.agent_read_at(session, conv.id),
    )


# ---------------------------------------------------------------- reading


async def catch_up(session: AsyncSession, visitor: Visitor, *, after: str | None, limit: int) -> schemas.MessagePage:
    """What the visitor missed after ``after`` (or the latest history), and where things stand now."""
    items: list[Message] = []
    cursor = after
    if visitor.contact is not None:
        rows, cursor = await repository.visitor_timeline(
            session, visitor.inbox.id, visitor.contact.id, after=after, limit=limit
        )
        items = [_public(session, m) for m in rows]
    return schemas.MessagePage(
        items=items,
        next_cursor=cursor,
        conversation=await _conversation_state(session, visitor),
        agents_online=await repository.agents_online(session, visitor.inbox.organization_id),
    )


# ---------------------------------------------------------------- writing


def _check_can_write(visitor: Visitor) -> None:
    prechat = _prechat(visitor)
    if prechat.required and not prechat.completed:
        raise Conflict(
            "Please fill in the short form before starting the chat.",
            code="prechat_required",
            details={"fields": prechat.fields},
        )
    if visitor.contact is not None and visitor.contact.blocked:
        raise Forbidden("This chat is not available.", code="contact_blocked")


async def _receive(
    session: AsyncSession,
    visitor: Visitor,
    *,
    content: str,
    content_type: str = "text",
    client_id: str | None,
    payload: dict[str, Any] | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> schemas.SentMessage:
    contact = await _ensure_contact(session, visitor)
    before = await conversations_repo.current_for_contact(session, visitor.inbox.id, contact.id)
    conv, message, created = await inbound.receive(
        session,
        visitor.inbox,
        contact,
        content=content,
        content_type=content_type,
        payload=payload,
        attachments=attachments,
        client_id=client_id,
    )
    if before is None or before.id != conv.id:
        # The visitor's socket listens to one conversation; this tells it to follow the new one.
        publish_on_commit(
            session,
            visitor_topic(visitor.inbox.id, visitor.external_id),
            {"type": "conversation.started", "conversation_id": str(conv.id)},
        )
    return schemas.SentMessage(
        created=created, message=_public(session, message), conversation=await _state_of(session, visitor.inbox, conv)
    )


def _choice_payload(choice_id: str | None) -> dict[str, Any] | None:
    return {"choice_id": choice_id} if choice_id else None


async def send_message(
    session: AsyncSession, visitor: Visitor, data: schemas.WidgetMessageCreate
) -> schemas.SentMessage:
    await _limit(session, visitor.rate_key)
    _check_can_write(visitor)
    if not data.content.strip():
        raise ValidationFailed("Write something first.", code="empty_message")
    return await _receive(
        session, visitor, content=data.content, client_id=data.client_id, payload=_choice_payload(data.choice_id)
    )


async def send_attachment(
    session: AsyncSession,
    visitor: Visitor,
    *,
    filename: str,
    declared_type: str,
    chunks: AsyncIterator[bytes],
    caption: str,
    client_id: str | None,
) -> schemas.SentMessage:
    await _limit(session, visitor.rate_key, what="files")
    _check_can_write(visitor)
    if len(caption) > MAX_TEXT:
        raise ValidationFailed(f"The caption is longer than {MAX_TEXT} characters.", code="caption_too_long")
    settings = _runtime(session).settings
    org_id = visitor.inbox.organization_id
    stored = await storage.save(settings, org_id, filename=filename, declared_type=declared_type, chunks=chunks)
    kind = "image" if stored.content_type in storage.IMAGE_TYPES else "file"
    try:
        return await _receive(
            session,
            visitor,
            content=caption,
            content_type=kind,
            client_id=client_id,
            attachments=[stored.as_attachment(org_id)],
        )
    except BaseException:
        storage.discard(settings, org_id, stored.id)
        raise


async def submit_prechat(session: AsyncSession, visitor: Visitor, data: schemas.PrechatSubmit) -> schemas.Prechat:
    await _limit(session, visitor.rate_key, what="form submissions")
    fields = _prechat(visitor).fields
    missing = [f for f in fields if not getattr(data, f)]
    if missing:
        raise ValidationFailed(
            f"Please fill in: {', '.join(missing)}.", code="prechat_incomplete", details={"missing": missing}
        )
    contact = await _ensure_contact(session, visitor)
    changed = []
    for field in ("name", "email", "phone"):
        value = getattr(data, field)
        if value is None:
            continue
        value = value.strip()
        # A verified user's name and email came from the business's own login; the form cannot replace them.
        if visitor.verified and field in ("name", "email") and getattr(contact, field):
            continue
        if value and getattr(contact, field) != value:
            setattr(contact, field, value)
            changed.append(field)
    # The form is a lead source too (docs/leads.md): values land on the contact's lead, with history.
    from frontdesk.leads.hooks import prechat_submitted

    await prechat_submitted(
        session, contact.organization_id, contact.id, data.model_dump(include={"name", "email", "phone"})
    )
    if changed:
        publish_on_commit(
            session,
            org_topic(contact.organization_id),
            {"type": "contact.updated", "contact_id": str(contact.id), "fields": changed},
        )
    return _prechat(visitor)


async def set_attributes(session: AsyncSession, visitor: Visitor, data: schemas.AttributesSet) -> dict[str, Any]:
    await _limit(session, visitor.rate_key, what="attribute updates")
    contact = await _ensure_contact(session, visitor)
    scope = _visitor_scope(visitor.inbox)
    for key, value in data.attributes.items():
        await contacts.set_attribute(session, scope, contact.id, key, value)
    return {"updated": sorted(data.attributes)}


async def rate(session: AsyncSession, visitor: Visitor, data: schemas.CsatSubmit) -> schemas.CsatResult:
    await _limit(session, visitor.rate_key, what="ratings")
    if not visitor.inbox.csat_enabled:
        raise Conflict("Ratings are turned off for this chat.", code="csat_disabled")
    conv = await _latest(session, visitor)
    if conv is None or conv.status != "resolved":
        raise Conflict("Only a resolved conversation can be rated.", code="not_resolved")
    row = await csat.submit_rating(session, conv, rating=data.rating, comment=data.comment)
    return schemas.CsatResult(conversation_id=conv.id, rating=row.rating, comment=row.comment)


async def mark_read(session: AsyncSession, visitor: Visitor) -> schemas.ReadResult:
    """The visitor has seen everything sent to them so far; agents see it as read."""
    conv = await _latest(session, visitor)
    if conv is None:
        return schemas.ReadResult(conversation_id=None, marked=0)
    now = _now(session)
    marked = await messages_repo.mark_read_by_contact(session, conv.id, now)
    conv.contact_last_seen_at = now
    if marked:
        publish_on_commit(
            session,
            org_topic(conv.organization_id),
            {"type": "conversation.read_by_contact", "conversation_id": str(conv.id), "read_at": now.isoformat()},
        )
    return schemas.ReadResult(conversation_id=conv.id, marked=marked)


async def typing(session: AsyncSession, visitor: Visitor) -> None:
    """Tell the agents' inbox the visitor is typing; there is nothing to tell before a conversation."""
    if visitor.contact is None:
        return
    conv = await conversations_repo.current_for_contact(session, visitor.inbox.id, visitor.contact.id)
    if conv is not None:
        await _runtime(session).bus.publish(
            org_topic(conv.organization_id), {"type": "contact.typing", "conversation_id": str(conv.id)}
        )


async def socket_topics(session: AsyncSession, visitor: Visitor) -> tuple[list[str], uuid.UUID | None]:
    """The visitor's own topic and their latest conversation's public topic."""
    topics = [visitor_topic(visitor.inbox.id, visitor.external_id)]
    conv = await _latest(session, visitor)
    if conv is not None:
        topics.append(conversation_topic(conv.id))
    return topics, conv.id if conv is not None else None


async def demo_inbox(session: AsyncSession, public_token: str | None) -> Inbox | None:
    if public_token:
        try:
            return await widget_inbox(session, public_token)
        except NotFound:
            return None
    from frontdesk.cli import DEMO_EMAIL

    return await repository.demo_web_inbox(session, DEMO_EMAIL)


async def agents_online(session: AsyncSession, inbox: Inbox) -> bool:
    return await repository.agents_online(session, inbox.organization_id)
