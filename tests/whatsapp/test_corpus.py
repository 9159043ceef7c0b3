"""Every message and status payload of the corpus, posted signed to the real route, stored and shown.

The files are posted byte for byte as they are in ``../shared/corpora/whatsapp/pywa``; the inbox is
configured with the phone number id each file names, and the fake Graph API serves their media ids.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from frontdesk.channels.whatsapp.sandbox import Sandbox
from tests.conftest import Account
from tests.whatsapp.conftest import PYWA, WhatsAppInbox, corpus, make_inbox, wait_for

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
MEDIA = {
    "65463453": (JPEG, "image/jpeg"),
    "1234567890987654321": (b"OggS" + b"\x00" * 64, "audio/ogg"),
    "765756756": (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "video/mp4"),
}
# A check asserts itself (returns None) or returns whether the message is right.
Check = Callable[[dict[str, Any]], object]


def _has(*parts: str) -> Check:
    def check(m: dict[str, Any]) -> None:
        for part in parts:
            assert part in m["content"], (part, m["content"])

    return check


def _media(kind: str, name: str) -> Check:
    def check(m: dict[str, Any]) -> None:
        assert m["content_type"] == kind
        [att] = m["attachments"]
        assert att["name"] == name and att["size"] > 0 and att["url"].startswith("/api/v1/widget/files/")

    return check


# file -> (content_type, check of the stored message)
MESSAGES: dict[str, tuple[str, Check]] = {
    "message__text.json": ("text", _has("Body Text")),
    "message__forwarded.json": ("text", lambda m: m["payload"]["forwarded"] == "once"),
    "message__forwarded_many_times.json": ("text", lambda m: m["payload"]["forwarded"] == "many_times"),
    "message__reply.json": ("text", lambda m: m["payload"]["quote"]["external_id"] == "wamid.xyzxyz=="),
    "message__referral.json": ("text", lambda m: m["payload"]["referral"]["headline"] == "AD_TITLE"),
    "message__image.json": ("image", _media("image", "image.jpg")),
    "message__media_with_url.json": ("image", _media("image", "image.jpg")),
    "message__audio.json": ("audio", _media("audio", "audio.ogg")),
    "message__voice.json": ("audio", lambda m: m["payload"]["voice"] is True and len(m["attachments"]) == 1),
    "message__video.json": ("video", lambda m: m["content"] == "caption" and len(m["attachments"]) == 1),
    "message__document.json": ("file", _media("file", "filename.pdf")),
    "message__static_sticker.json": ("sticker", lambda m: m["payload"]["animated"] is False),
    "message__animated_sticker.json": ("sticker", lambda m: m["payload"]["animated"] is True),
    "message__current_location.json": ("location", _has("12.25089", "43.90539")),
    "message__chosen_location.json": ("location", _has("Facebook HQ", "1 Hacker Way")),
    "message__contacts.json": ("contacts", _has("Chandler Bing", "+1 555-555-5555", "Rachel Green")),
    "message__reaction.json": ("reaction", lambda m: m["payload"]["reaction"]["emoji"] == "\U0001f62e"),
    "message__unreaction_empty.json": ("reaction", _has("Removed a reaction")),
    "message__unreaction_no_emoji.json": ("reaction", _has("Removed a reaction")),
    "message__order.json": ("order", _has("3 x HAMBURGER", "2 x FRENCH_FRIES")),
    "message__unsupported.json": ("unsupported", lambda m: m["payload"]["errors"][0]["code"] == 131051),
    "message__unsupported_with_type.json": ("unsupported", _has("(pool)")),
    "message__interactive_message_with_err.json": ("unsupported", _has("cannot be shown")),
    "callback_button__button.json": ("text", lambda m: m["payload"]["choice_id"] == "callback_data"),
    "callback_button__quick_reply.json": ("text", lambda m: m["payload"]["template_button"] is True),
    "callback_button__quick_reply_without_context.json": ("text", _has("title")),
    "callback_selection__callback.json": ("text", lambda m: m["payload"]["choice_title"] == "title"),
    "callback_selection__description.json": ("text", lambda m: m["payload"]["choice_description"] == "description"),
    "flow_completion__completion.json": ("form", _has("delivery_rating=4")),
    "flow_completion__without_flow_token.json": ("form", _has("Form submitted")),
    "call_permission_update__accept.json": ("system", _has("accept")),
    "call_permission_update__reject.json": ("system", _has("reject")),
    "deleted_message__revoke.json": ("system", _has("deleted a message")),
    "edited_message__image.json": ("system", _has("Updated image caption")),
    "system__identity_change.json": ("system", _has("User identity changed")),
    "system__phone_number_change.json": ("system", _has("972912345678")),
}
STATUSES = sorted(p.name for p in PYWA.glob("message_status__*.json"))
# Routed to a number but not about messages, or not about a number at all: logged and ignored.
IGNORED = sorted(
    p.name
    for p in PYWA.glob("*.json")
    if p.name.split("__")[0]
    in (
        "account_update",
        "call_connect",
        "call_status",
        "call_terminate",
        "template_category_update",
        "template_components_update",
        "template_quality_update",
        "template_status_update",
        "user_marketing_preferences",
        "outgoing_message",
    )
)


def _number(name: str) -> str:
    data = json.loads(corpus(name))
    for entry in data["entry"]:
        for change in entry["changes"]:
            pid = (change["value"].get("metadata") or {}).get("phone_number_id")
            if pid:
                return str(pid)
    return ""


def test_every_corpus_file_is_covered() -> None:
    covered = set(MESSAGES) | set(STATUSES) | set(IGNORED)
    assert covered == {p.name for p in PYWA.glob("*.json")}


@pytest.mark.parametrize("name", sorted(MESSAGES))
async def test_customer_message(
    name: str, client: httpx.AsyncClient, owner: Account, graph: Sandbox, runtime: Any
) -> None:
    graph.phone_number_id = _number(name)
    graph.media.update(MEDIA)
    wa = await make_inbox(client, owner, graph, assistant_enabled=False)
    r = await wa.post(corpus(name))
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    content_type, check = MESSAGES[name]
    msgs = await wait_for(wa.customer_messages)
    assert len(msgs) == 1, msgs
    [m] = msgs
    assert m["content_type"] == content_type, m
    assert m["sender_type"] == "contact"
    assert check(m) is not False, m


@pytest.mark.parametrize("name", STATUSES)
async def test_status_update(name: str, client: httpx.AsyncClient, owner: Account, graph: Sandbox) -> None:
    data = json.loads(corpus(name))
    status = data["entry"][0]["changes"][0]["value"]["statuses"][0]
    graph.phone_number_id = _number(name)
    graph.auto_status = False
    wa: WhatsAppInbox = await make_inbox(client, owner, graph, assistant_enabled=False)
    assert (await wa.post(graph.customer_message(status["recipient_id"], "hello"))).status_code == 200
    conv = await wa.only_conversation()
    graph.next_ids.append(status["id"])
    r = await client.post(f"/api/v1/conversations/{conv}/messages", headers=owner.headers, json={"content": "Hi!"})
    assert r.status_code == 201, r.text
    reply_id = r.json()["id"]

    async def reply() -> dict[str, Any] | None:
        return next((m for m in await wa.messages(conv) if m["id"] == reply_id), None)

    await wait_for(lambda: _status_is(reply, "sent"))
    assert (await wa.post(corpus(name))).status_code == 200
    final = await wait_for(lambda: _status_is(reply, status["status"]))
    if status["status"] == "failed":
        assert "130472" in final["delivery_error"]
        notes = [m for m in await wa.messages(conv) if m["private"] and "could not deliver" in m["content"]]
        assert notes, "the agent is told about the failure"


async def _status_is(reply: Any, wanted: str) -> dict[str, Any] | None:
    m = await reply()
    return m if m and m["delivery_status"] == wanted else None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_account_and_call_events_are_ignored_with_a_log_line(
    client: httpx.AsyncClient, owner: Account, graph: Sandbox
) -> None:
    wa = await make_inbox(client, owner, graph)
    for name in IGNORED:
        pid = _number(name)
        if pid and pid != graph.phone_number_id:
            r = await client.patch(
                f"/api/v1/inboxes/{wa.inbox_id}/whatsapp", headers=owner.headers, json={"phone_number_id": pid}
            )
            assert r.status_code == 200
            graph.phone_number_id = pid
        r = await wa.post(corpus(name))
        assert r.status_code == 200, (name, r.text)
    assert await wa.conversations() == []
