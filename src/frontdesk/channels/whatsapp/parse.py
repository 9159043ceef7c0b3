"""From a webhook body to :class:`InboundEvent` s: one per customer message or status update.

Every message type a support inbox needs becomes readable ``content`` (what agents, flows and the
assistant see) plus structured ``payload``; media become attachment references that the processing
job downloads. Types we do not understand are kept as ``unsupported`` rather than dropped.
"""

from __future__ import annotations

import json
from typing import Any

from frontdesk.channels.base import InboundEvent

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
# Fields of the ``messages`` webhook that are account- or call-level: logged and ignored.
MESSAGE_FIELD = "messages"


class MalformedPayload(ValueError):
    """The body is JSON but not the shape Meta sends."""


def load(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedPayload("The body is not JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise MalformedPayload("The body has no `entry` list.")
    return data


def changes(data: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(field, phone_number_id or "", value) for every change in the body."""
    out = []
    for entry in data.get("entry") or []:
        if not isinstance(entry, dict):
            raise MalformedPayload("An entry is not an object.")
        for change in entry.get("changes") or []:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                raise MalformedPayload("A change has no `value` object.")
            value = change["value"]
            metadata = _obj(value.get("metadata"))
            out.append((str(change.get("field", "")), str(metadata.get("phone_number_id") or ""), value))
    return out


def phone_number_ids(data: dict[str, Any]) -> list[str]:
    return sorted({pid for _, pid, _ in changes(data) if pid})


def events_for(data: dict[str, Any], phone_number_id: str) -> tuple[list[InboundEvent], list[str]]:
    """The events of one business number, and the fields that were ignored (for the log)."""
    events: list[InboundEvent] = []
    ignored: list[str] = []
    for field, pid, value in changes(data):
        if pid != phone_number_id:
            continue
        if field != MESSAGE_FIELD:
            ignored.append(field)
            continue
        names = {
            str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
            for c in value.get("contacts") or []
            if isinstance(c, dict)
        }
        for raw in value.get("messages") or []:
            events.append(message_event(raw, names))
        for raw in value.get("statuses") or []:
            events.append(status_event(raw))
        if not value.get("messages") and not value.get("statuses"):
            ignored.append(f"{field}:empty")
    return events, ignored


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _req(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, (str, int)) or value == "":
        raise MalformedPayload(f"A message has no `{key}`.")
    return str(value)


def _errors(raw: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for err in raw.get("errors") or []:
        if isinstance(err, dict):
            details = (err.get("error_data") or {}).get("details") if isinstance(err.get("error_data"), dict) else None
            out.append(
                {
                    "code": err.get("code"),
                    "title": err.get("title") or err.get("message") or "",
                    "details": details or "",
                }
            )
    return out


def status_event(raw: dict[str, Any]) -> InboundEvent:
    if not isinstance(raw, dict):
        raise MalformedPayload("A status is not an object.")
    return InboundEvent(
        kind="status",
        external_contact_id=str(raw.get("recipient_id") or ""),
        external_id=_req(raw, "id"),
        content=_req(raw, "status"),
        payload={"status": str(raw["status"]), "timestamp": str(raw.get("timestamp") or ""), "errors": _errors(raw)},
    )


def _location_text(loc: dict[str, Any]) -> str:
    where = ", ".join(str(loc[k]) for k in ("name", "address") if loc.get(k))
    return (
        f"Location: {where} ({loc.get('latitude')}, {loc.get('longitude')})"
        if where
        else (f"Location: {loc.get('latitude')}, {loc.get('longitude')}")
    )


def _contact_card(card: dict[str, Any]) -> dict[str, Any]:
    name = card.get("name") or {}
    return {
        "name": str(name.get("formatted_name") or name.get("first_name") or ""),
        "phones": [
            str(p.get("phone") or p.get("wa_id") or "") for p in card.get("phones") or [] if isinstance(p, dict)
        ],
        "emails": [str(e.get("email") or "") for e in card.get("emails") or [] if isinstance(e, dict)],
    }


def message_event(raw: dict[str, Any], names: dict[str, str]) -> InboundEvent:
    if not isinstance(raw, dict):
        raise MalformedPayload("A message is not an object.")
    sender = _req(raw, "from")
    wamid = _req(raw, "id")
    kind = str(raw.get("type") or "unsupported")
    body = _obj(raw.get(kind))
    payload: dict[str, Any] = {"whatsapp_type": kind}
    attachments: list[dict[str, Any]] = []
    content_type = "text"
    content = ""
    context = _obj(raw.get("context"))
    if context.get("id"):
        payload["quote"] = {"external_id": str(context["id"])}
    if context.get("forwarded") or context.get("frequently_forwarded"):
        payload["forwarded"] = "many_times" if context.get("frequently_forwarded") else "once"
    if isinstance(raw.get("referral"), dict):
        ref = raw["referral"]
        payload["referral"] = {
            k: str(ref[k])
            for k in ("source_url", "source_id", "source_type", "headline", "body", "media_type", "ctwa_clid")
            if ref.get(k) is not None
        }
    if kind == "text":
        content = str(body.get("body") or "")
    elif kind in MEDIA_TYPES:
        content_type = {"document": "file"}.get(kind, kind)
        content = str(body.get("caption") or "")
        if not body.get("id"):
            raise MalformedPayload(f"A {kind} message has no media id.")
        if kind == "audio" and body.get("voice"):
            payload["voice"] = True
        if kind == "sticker":
            payload["animated"] = bool(body.get("animated"))
        attachments.append(
            {
                "media_id": str(body["id"]),
                "mime_type": str(body.get("mime_type") or "application/octet-stream"),
                "filename": str(body.get("filename") or ""),
                "sha256": str(body.get("sha256") or ""),
                "kind": kind,
            }
        )
    elif kind == "location":
        content_type = "location"
        payload["location"] = {k: body.get(k) for k in ("latitude", "longitude", "name", "address", "url") if k in body}
        content = _location_text(body)
    elif kind == "contacts":
        content_type = "contacts"
        cards = [_contact_card(c) for c in raw.get("contacts") or [] if isinstance(c, dict)]
        payload["contacts"] = cards
        content = "Shared contacts: " + "; ".join(
            f"{c['name']} ({', '.join(p for p in c['phones'] if p)})" if c["phones"] else c["name"] for c in cards
        )
    elif kind == "reaction":
        content_type = "reaction"
        emoji = str(body.get("emoji") or "")
        payload["reaction"] = {"emoji": emoji, "message_external_id": str(body.get("message_id") or "")}
        content = f"Reacted {emoji} to a message" if emoji else "Removed a reaction"
    elif kind == "interactive":
        reply_type = str(body.get("type") or "")
        reply = _obj(body.get(reply_type))
        if reply_type in ("button_reply", "list_reply"):
            payload["choice_id"] = str(reply.get("id") or "")
            payload["choice_title"] = str(reply.get("title") or "")
            if reply.get("description"):
                payload["choice_description"] = str(reply["description"])
            content = str(reply.get("title") or reply.get("id") or "")
        elif reply_type == "nfm_reply":
            content_type = "form"
            try:
                payload["form"] = json.loads(reply.get("response_json") or "{}")
            except ValueError:
                payload["form"] = {"raw": str(reply.get("response_json"))}
            content = "Form submitted: " + ", ".join(
                f"{k}={v}" for k, v in payload["form"].items() if k != "flow_token"
            )
        elif reply_type == "call_permission_reply":
            content_type = "system"
            payload["call_permission"] = str(reply.get("response") or "")
            content = f"Call permission: {payload['call_permission'] or 'answered'}"
        else:
            content_type = "unsupported"
            payload["errors"] = _errors(raw)
            content = "This interactive message cannot be shown here."
    elif kind == "button":
        payload["choice_id"] = str(body.get("payload") or "")
        payload["choice_title"] = str(body.get("text") or "")
        payload["template_button"] = True
        content = str(body.get("text") or body.get("payload") or "")
    elif kind == "order":
        content_type = "order"
        items = [
            {
                "product": str(i.get("product_retailer_id") or ""),
                "quantity": i.get("quantity"),
                "price": i.get("item_price"),
                "currency": str(i.get("currency") or ""),
            }
            for i in body.get("product_items") or []
            if isinstance(i, dict)
        ]
        payload["order"] = {"catalog_id": str(body.get("catalog_id") or ""), "items": items, "text": body.get("text")}
        lines = ", ".join(f"{i['quantity']} x {i['product']} ({i['price']} {i['currency']})" for i in items)
        content = f"Order: {lines}" + (f". {body['text']}" if body.get("text") else "")
    elif kind == "system":
        content_type = "system"
        payload["system"] = {k: str(v) for k, v in body.items()}
        content = str(body.get("body") or "The customer's account changed.")
    elif kind == "revoke":
        content_type = "system"
        payload["revoked_external_id"] = str(body.get("original_message_id") or "")
        content = "The customer deleted a message."
    elif kind == "edit":
        content_type = "system"
        inner = _obj(body.get("message"))
        inner_kind = str(inner.get("type") or "")
        inner_body = _obj(inner.get(inner_kind))
        new_text = str(inner_body.get("body") or inner_body.get("caption") or "")
        payload["edited_external_id"] = str(body.get("original_message_id") or "")
        content = f"The customer edited a message: {new_text}" if new_text else "The customer edited a message."
    else:
        content_type = "unsupported"
        inner_type = str(body.get("type") or "") if body else ""
        payload["errors"] = _errors(raw)
        payload["unsupported_type"] = inner_type
        content = "The customer sent a message type WhatsApp does not support here" + (
            f" ({inner_type})." if inner_type else "."
        )
    return InboundEvent(
        kind="message",
        external_contact_id=sender,
        external_id=wamid,
        contact_name=names.get(sender, ""),
        content=content,
        content_type=content_type,
        payload=payload,
        attachments=attachments,
    )
