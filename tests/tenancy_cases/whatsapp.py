"""Tenancy walk entries of the WhatsApp channel."""

from __future__ import annotations

import httpx

from tests.test_tenancy import Case, World, _create, _ok, seeder

CASES = [
    Case("GET", "/api/v1/inboxes/{inbox_id}/whatsapp"),
    Case("PATCH", "/api/v1/inboxes/{inbox_id}/whatsapp", body=lambda w: {"waba_id": "b-says-so"}),
    Case("POST", "/api/v1/inboxes/{inbox_id}/whatsapp/check"),
    Case("GET", "/api/v1/inboxes/{inbox_id}/whatsapp/templates"),
    Case("POST", "/api/v1/inboxes/{inbox_id}/whatsapp/templates/sync"),
    Case(
        "POST",
        "/api/v1/conversations/{conversation_id}/whatsapp/template",
        body=lambda w: {"name": "order_update", "language": "en_US", "parameters": []},
    ),
    Case("GET", "/api/v1/conversations/{conversation_id}/whatsapp/window"),
    Case("POST", "/api/v1/conversations/{conversation_id}/whatsapp/read", body=lambda w: {"typing": True}),
    Case("GET", "/app/settings/inboxes/{inbox_id}/whatsapp", kind="page"),
    Case("POST", "/app/settings/inboxes/{inbox_id}/whatsapp", kind="form", body=lambda w: {"waba_id": "b"}),
    Case("POST", "/app/settings/inboxes/{inbox_id}/whatsapp/check", kind="form"),
    Case("POST", "/app/settings/inboxes/{inbox_id}/whatsapp/templates", kind="form"),
]

PUBLIC = {
    (
        "GET",
        "/api/v1/channels/whatsapp/webhook",
    ): "Meta's handshake: the verify token is the credential; echoes only the challenge",
    ("POST", "/api/v1/channels/whatsapp/webhook"): "Meta's events: the app secret's signature is the credential",
}


@seeder("PATCH", "/api/v1/inboxes/{inbox_id}/whatsapp")
async def seed_whatsapp_inbox(client: httpx.AsyncClient, w: World) -> None:
    """A's WhatsApp number, so B's walk has A's number, tokens and ids to leak if anything does."""
    inbox = await _create(
        client, "/api/v1/inboxes", w.a.headers, {"name": f"Alpha WhatsApp {w.tag}", "channel": "whatsapp"}
    )
    settings = {
        "phone_number_id": f"55{int(w.tag, 16) % 10**9}",
        "waba_id": f"alpha-waba-{w.tag}",
        "access_token": f"alpha-token-{w.tag}",
        "app_secret": f"alpha-secret-{w.tag}",
        "verify_token": f"alpha-verify-{w.tag}",
    }
    await _ok(await client.patch(f"/api/v1/inboxes/{inbox['id']}/whatsapp", headers=w.a.headers, json=settings))
    w.keep(inbox["id"], inbox["name"], *settings.values())
    w.intact.append((f"/api/v1/inboxes/{inbox['id']}/whatsapp", settings["waba_id"]))
