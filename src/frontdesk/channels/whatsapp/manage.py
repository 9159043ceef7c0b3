"""What an organization does with its WhatsApp inboxes: settings, checks, templates, sends."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.channels.whatsapp import repository, schemas
from frontdesk.channels.whatsapp.channel import window_closes_at
from frontdesk.channels.whatsapp.client import SendFailed, WhatsAppConfig, classify, graph
from frontdesk.channels.whatsapp.models import WhatsAppNumber, WhatsAppTemplate
from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.service import get_conversation
from frontdesk.inboxes.models import Inbox
from frontdesk.inboxes.service import get_inbox
from frontdesk.kit.errors import Conflict, ServiceUnavailable, ValidationFailed
from frontdesk.messages.models import Message

if TYPE_CHECKING:
    from frontdesk.kit.runtime import Runtime

WEBHOOK_PATH = "/api/v1/channels/whatsapp/webhook"
_PARAM = re.compile(r"\{\{\s*(\d+)\s*\}\}")


def _runtime(session: AsyncSession) -> Runtime:
    return session.info["runtime"]


async def whatsapp_inbox(session: AsyncSession, scope: OrgScope, inbox_id: uuid.UUID) -> Inbox:
    inbox = await get_inbox(session, scope, inbox_id)
    if inbox.channel != "whatsapp":
        raise Conflict("This inbox is not a WhatsApp inbox.", code="wrong_channel")
    return inbox


def callback_url(runtime: Runtime) -> str:
    return runtime.settings.public_url.rstrip("/") + WEBHOOK_PATH


def to_schema(runtime: Runtime, inbox: Inbox) -> schemas.WhatsAppSettings:
    raw = inbox.config or {}
    config = WhatsAppConfig.of(runtime, inbox)
    checked = raw.get("checked_at")
    return schemas.WhatsAppSettings(
        inbox_id=inbox.id,
        phone_number_id=config.phone_number_id,
        waba_id=config.waba_id,
        verify_token=config.verify_token,
        has_access_token=bool(raw.get("access_token_encrypted")),
        has_app_secret=bool(raw.get("app_secret_encrypted")),
        callback_url=callback_url(runtime),
        opt_out_keywords=config.opt_out_keywords,
        opt_in_keywords=config.opt_in_keywords,
        display_phone_number=str(raw.get("display_phone_number") or ""),
        verified_name=str(raw.get("verified_name") or ""),
        checked_at=checked or None,
    )


def _words(values: list[str]) -> list[str]:
    out = list(dict.fromkeys(v.strip().upper() for v in values if v.strip()))
    if any(len(v) > 40 for v in out):
        raise ValidationFailed("A keyword can have at most 40 characters.", code="invalid_keyword")
    return out


async def update_settings(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    inbox_id: uuid.UUID,
    data: schemas.WhatsAppSettingsUpdate,
) -> Inbox:
    runtime = _runtime(session)
    inbox = await whatsapp_inbox(session, scope, inbox_id)
    config = dict(inbox.config or {})
    values = data.model_dump(exclude_unset=True)
    for key, value in values.items():
        if value is None:
            raise ValidationFailed(f"{key} cannot be null; leave it out to keep it.", code="null_not_allowed")
    changed = sorted(values)
    if "phone_number_id" in values:
        number = values["phone_number_id"].strip()
        if await repository.number_taken(session, number, inbox.id):
            raise Conflict("Another inbox already uses this phone number id.", code="phone_number_taken")
        row = await repository.number_of_inbox(session, inbox.id)
        if row is None:
            session.add(
                WhatsAppNumber(
                    organization_id=inbox.organization_id,
                    inbox_id=inbox.id,
                    phone_number_id=number,
                    created_at=runtime.clock.now(),
                )
            )
        else:
            row.phone_number_id = number
        config["phone_number_id"] = number
        config.pop("checked_at", None)
    if "waba_id" in values:
        config["waba_id"] = values["waba_id"].strip()
    for secret in ("access_token", "app_secret"):
        if secret in values:
            config[f"{secret}_encrypted"] = runtime.secrets.encrypt(values[secret].strip())
    if "verify_token" in values:
        config["verify_token"] = values["verify_token"]
    for words in ("opt_out_keywords", "opt_in_keywords"):
        if words in values:
            config[words] = _words(values[words])
    inbox.config = config
    await session.flush()
    record(
        session,
        "whatsapp.settings_updated",
        organization_id=inbox.organization_id,
        subject=subject,
        target_type="inbox",
        target_id=inbox.id,
        details={"fields": changed},  # names only: never the secrets
    )
    return inbox


async def check_credentials(session: AsyncSession, scope: OrgScope, inbox_id: uuid.UUID) -> schemas.CredentialCheck:
    """Ask the Graph API about the configured number with the configured token."""
    runtime = _runtime(session)
    inbox = await whatsapp_inbox(session, scope, inbox_id)
    config = WhatsAppConfig.of(runtime, inbox)
    if not config.app_secret or not config.verify_token:
        return schemas.CredentialCheck(ok=False, error="Set the app secret and the verify token too.")
    try:
        async with graph(runtime, config) as wa:
            info = await wa.api.get_business_phone_number(
                config.phone_number_id, ("display_phone_number", "verified_name")
            )
    except Exception as exc:
        failed = classify(exc)
        return schemas.CredentialCheck(ok=False, error=failed.message)
    raw = dict(inbox.config or {})
    raw |= {
        "display_phone_number": str(info.get("display_phone_number") or ""),
        "verified_name": str(info.get("verified_name") or ""),
        "checked_at": runtime.clock.now().isoformat(),
    }
    inbox.config = raw
    return schemas.CredentialCheck(
        ok=True, display_phone_number=raw["display_phone_number"], verified_name=raw["verified_name"]
    )


# ---------------------------------------------------------------- templates


def template_schema(t: WhatsAppTemplate) -> schemas.Template:
    body = next((c for c in t.components or [] if str(c.get("type", "")).upper() == "BODY"), {})
    params = {int(n) for n in _PARAM.findall(str(body.get("text") or ""))}
    return schemas.Template(
        id=t.id,
        name=t.name,
        language=t.language,
        status=t.status,
        category=t.category,
        components=list(t.components or []),
        parameters=max(params, default=0),
        synced_at=t.synced_at,
    )


async def list_templates(session: AsyncSession, scope: OrgScope, inbox_id: uuid.UUID) -> list[WhatsAppTemplate]:
    inbox = await whatsapp_inbox(session, scope, inbox_id)
    return await repository.templates(session, scope.ids, inbox.id)


async def sync_templates(session: AsyncSession, scope: OrgScope, inbox_id: uuid.UUID) -> list[WhatsAppTemplate]:
    runtime = _runtime(session)
    inbox = await whatsapp_inbox(session, scope, inbox_id)
    config = WhatsAppConfig.of(runtime, inbox)
    if not config.waba_id:
        raise ValidationFailed("Set the WhatsApp Business Account id first.", code="waba_id_missing")
    fetched: list[dict[str, Any]] = []
    try:
        async with graph(runtime, config) as wa:
            after: str | None = None
            for _ in range(20):
                page = await wa.api.get_templates(
                    config.waba_id,
                    fields=("id", "name", "language", "status", "category", "components"),
                    pagination={"limit": 100, "after": after} if after else {"limit": 100},
                )
                fetched.extend(t for t in page.get("data") or [] if isinstance(t, dict))
                after = ((page.get("paging") or {}).get("cursors") or {}).get("after")
                if not after or not (page.get("paging") or {}).get("next"):
                    break
    except Exception as exc:
        failed = exc if isinstance(exc, SendFailed) else classify(exc)
        raise ServiceUnavailable(
            f"The Graph API did not list the templates: {failed.message}", code="graph_unavailable"
        ) from None
    now = runtime.clock.now()
    seen = set()
    for t in fetched:
        name, language = str(t.get("name") or ""), str(t.get("language") or "")
        if not name or not language:
            continue
        seen.add((name, language))
        row = await repository.template(session, inbox.id, name, language)
        if row is None:
            row = WhatsAppTemplate(
                organization_id=inbox.organization_id, inbox_id=inbox.id, name=name, language=language, created_at=now
            )
            session.add(row)
        row.external_id = str(t.get("id") or "")
        row.status = str(t.get("status") or "")[:20]
        row.category = str(t.get("category") or "")[:30]
        row.components = list(t.get("components") or [])
        row.synced_at = now
    for row in await repository.templates(session, scope.ids, inbox.id):
        if (row.name, row.language) not in seen:
            await session.delete(row)
    await session.flush()
    return await repository.templates(session, scope.ids, inbox.id)


async def send_template(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, conversation_id: uuid.UUID, data: schemas.TemplateSend
) -> Message:
    """Templates are the only messages allowed outside the 24-hour window; queued like any reply."""
    from frontdesk.messages.service import add_message
    from frontdesk.users import repository as users

    conv = await get_conversation(session, scope, conversation_id)
    inbox = await whatsapp_inbox(session, scope, conv.inbox_id)
    found = await repository.template(session, inbox.id, data.name, data.language)
    if found is None or found.status.upper() != "APPROVED":
        raise ValidationFailed(
            "No approved template with this name and language; sync the templates first.", code="template_not_approved"
        )
    expected = template_schema(found).parameters
    if len(data.parameters) != expected:
        raise ValidationFailed(
            f"This template takes {expected} parameter(s); {len(data.parameters)} given.",
            code="template_parameters",
            details={"expected": expected},
        )
    body = next((c for c in found.components if str(c.get("type", "")).upper() == "BODY"), {})
    text = _PARAM.sub(
        lambda m: data.parameters[int(m.group(1)) - 1] if int(m.group(1)) <= len(data.parameters) else m.group(0),
        str(body.get("text") or data.name),
    )
    user = await users.get(session, subject.user_id) if subject.user_id else None
    message, _ = await add_message(
        session,
        conv,
        direction="out",
        sender_type="agent",
        sender_id=subject.user_id,
        sender_name=(user.name or user.email) if user is not None else subject.label,
        content=text,
        content_type="template",
        payload={"template": {"name": found.name, "language": found.language, "parameters": data.parameters}},
        client_id=data.client_id,
    )
    return message


async def window(session: AsyncSession, scope: OrgScope, conversation_id: uuid.UUID) -> schemas.WindowStatus:
    conv = await get_conversation(session, scope, conversation_id)
    await whatsapp_inbox(session, scope, conv.inbox_id)
    closes = await window_closes_at(session, conv.id)
    contact = await session.get(Contact, conv.contact_id)
    now = _runtime(session).clock.now()
    return schemas.WindowStatus(
        open=closes is not None and closes > now,
        closes_at=closes,
        opted_out=contact is not None and contact.opted_out_at is not None,
    )


async def _last_inbound(session: AsyncSession, conv: Conversation) -> str:
    from sqlalchemy import select

    found = await session.scalar(
        select(Message.external_id)
        .where(Message.conversation_id == conv.id, Message.direction == "in", Message.external_id.is_not(None))
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    if not found:
        raise Conflict("The customer has not written on WhatsApp in this conversation.", code="no_inbound_message")
    return str(found)


async def signal(session: AsyncSession, scope: OrgScope, conversation_id: uuid.UUID, *, typing: bool) -> None:
    """Mark the customer's last message read (blue ticks), with the typing indicator if asked."""
    runtime = _runtime(session)
    conv = await get_conversation(session, scope, conversation_id)
    inbox = await whatsapp_inbox(session, scope, conv.inbox_id)
    wamid = await _last_inbound(session, conv)
    config = WhatsAppConfig.of(runtime, inbox)
    try:
        async with graph(runtime, config) as wa:
            if typing:
                await wa.api.set_indicator(config.phone_number_id, wamid, "text")
            else:
                await wa.api.mark_message_as_read(config.phone_number_id, wamid)
    except Exception as exc:
        raise ServiceUnavailable(
            f"WhatsApp did not accept it: {classify(exc).message}", code="graph_unavailable"
        ) from None
