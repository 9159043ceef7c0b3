"""The website widget's visitor API: sessions, identity, origins, messages, files, forms, ratings."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import httpx
import pytest

from frontdesk.channels.web import storage
from tests.conftest import Account

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
XSS = "<img src=x onerror=alert(1)> & <script>alert('x')</script>"


async def make_inbox(client: httpx.AsyncClient, owner: Account, **settings: Any) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/inboxes",
        headers=owner.headers,
        json={"name": settings.pop("name", "Website"), "channel": settings.pop("channel", "web"), **settings},
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def identity_secret(client: httpx.AsyncClient, owner: Account, inbox_id: str) -> str:
    r = await client.post(f"/api/v1/inboxes/{inbox_id}/identity-secret", headers=owner.headers)
    assert r.status_code in (200, 201), r.text
    return str(r.json()["identity_secret"])


async def start(client: httpx.AsyncClient, token: str, **body: Any) -> dict[str, Any]:
    r = await client.post(f"/api/v1/widget/{token}/session", json=body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def auth(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['visitor_token']}"}


async def say(
    client: httpx.AsyncClient, token: str, session: dict[str, Any], content: str, client_id: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/widget/{token}/messages",
        headers=auth(session),
        json={"content": content, "client_id": client_id, **extra},
    )


def sign(secret: str, user_id: str) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


async def test_session_starts_anonymous_and_resumes(client: httpx.AsyncClient, owner: Account) -> None:
    inbox = await make_inbox(
        client,
        owner,
        greeting="Hi! How can we help?",
        widget_color="#0f766e",
        widget_position="left",
        out_of_office_message="Back at 9.",
    )
    token = inbox["public_token"]
    first = await start(client, token)
    assert first["visitor"]["id"].startswith("visitor:") and first["visitor"]["verified"] is False
    assert first["inbox"] == {
        "name": "Website",
        "color": "#0f766e",
        "position": "left",
        "greeting": "Hi! How can we help?",
    }
    assert first["open_now"] is True and first["out_of_office_message"] == "Back at 9."
    assert first["agents_online"] is False and first["csat_enabled"] is True
    assert first["conversation"] is None and first["messages"] == [] and first["cursor"] is None
    # Upload routes take bodies up to the attachment limit, so the widget is told that figure.
    assert first["limits"]["max_attachment_bytes"] == 10 * 1024 * 1024
    again = await start(client, token, visitor_token=first["visitor_token"])
    assert again["visitor"]["id"] == first["visitor"]["id"]
    # A token that is not ours starts a fresh visitor rather than failing the page.
    forged = first["visitor_token"][:-4] + "AAAA"
    assert (await start(client, token, visitor_token=forged))["visitor"]["id"] != first["visitor"]["id"]


async def test_messages_dedupe_catch_up_and_history(client: httpx.AsyncClient, owner: Account) -> None:
    token = (await make_inbox(client, owner))["public_token"]
    session = await start(client, token)
    first = await say(client, token, session, XSS, "m-1")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["created"] is True
    # Stored and returned as the characters typed: rendering is the widget's job (textContent).
    assert body["message"]["content"] == XSS and body["message"]["ai"] == {}
    retry = await say(client, token, session, XSS, "m-1")
    assert retry.status_code == 201 and retry.json()["created"] is False
    assert retry.json()["message"]["id"] == body["message"]["id"]

    page = (await client.get(f"/api/v1/widget/{token}/messages", headers=auth(session))).json()
    # No assistant answers yet, so people were called in and the visitor was told.
    assert sorted(m["sender_type"] for m in page["items"]) == ["contact", "system"]
    assert page["conversation"]["human"] is True and page["conversation"]["status"] == "pending"
    cursor = page["next_cursor"]
    assert (
        await client.get(f"/api/v1/widget/{token}/messages", headers=auth(session), params={"after": cursor})
    ).json()["items"] == []
    await say(client, token, session, "Second", "m-2")
    later = (
        await client.get(f"/api/v1/widget/{token}/messages", headers=auth(session), params={"after": cursor})
    ).json()
    assert [m["content"] for m in later["items"]] == ["Second"]

    resumed = await start(client, token, visitor_token=session["visitor_token"])
    assert [m["content"] for m in resumed["messages"]][-1] == "Second"
    assert len(resumed["messages"]) == 3 and resumed["conversation"]["id"] == body["conversation"]["id"]

    bad = await client.get(f"/api/v1/widget/{token}/messages", headers=auth(session), params={"after": "nonsense"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"


async def test_message_validation(client: httpx.AsyncClient, owner: Account) -> None:
    token = (await make_inbox(client, owner))["public_token"]
    session = await start(client, token)
    assert (await say(client, token, session, "x" * 4001, "long")).status_code == 422
    assert (await say(client, token, session, "x" * 4000, "max")).status_code == 201
    assert (await say(client, token, session, "   ", "blank")).json()["code"] == "empty_message"
    assert (await say(client, token, session, "hi", "bad id with spaces")).status_code == 422
    r = await client.post(f"/api/v1/widget/{token}/messages", json={"content": "hi", "client_id": "x"})
    assert r.status_code == 401 and r.json()["code"] == "visitor_token_invalid"
    r = await client.post(
        f"/api/v1/widget/{token}/messages",
        content=b"{not json",
        headers={**auth(session), "Content-Type": "application/json"},
    )
    assert r.status_code == 400


async def test_choice_reply_is_recorded(client: httpx.AsyncClient, owner: Account) -> None:
    token = (await make_inbox(client, owner))["public_token"]
    session = await start(client, token)
    conv_id = (await say(client, token, session, "I have a question", "q")).json()["conversation"]["id"]
    r = await client.post(
        f"/api/v1/conversations/{conv_id}/messages",
        headers=owner.headers,
        json={
            "content": "Which one?",
            "content_type": "choices",
            "choices": [{"id": "order", "label": "My order"}, {"id": "other", "label": "Other"}],
        },
    )
    assert r.status_code == 201, r.text
    page = (await client.get(f"/api/v1/widget/{token}/messages", headers=auth(session))).json()
    offered = next(m for m in page["items"] if m["content_type"] == "choices")
    assert offered["payload"]["choices"][0] == {"id": "order", "label": "My order"}
    picked = await say(client, token, session, "My order", "pick", choice_id="order")
    assert picked.json()["message"]["payload"] == {"choice_id": "order"}


async def test_identity_verification(client: httpx.AsyncClient, owner: Account) -> None:
    inbox = await make_inbox(client, owner)
    token = inbox["public_token"]
    secret = await identity_secret(client, owner, inbox["id"])
    user = {"id": "42", "name": "Ada Lovelace", "email": "ada@example.com"}

    good = await start(client, token, user={**user, "hash": sign(secret, "42")})
    assert good["visitor"] == {"id": "user:42", "verified": True, "name": "Ada Lovelace", "email": "ada@example.com"}
    r = await client.post(f"/api/v1/widget/{token}/session", json={"user": {**user, "hash": sign("wrong", "42")}})
    assert r.status_code == 403 and r.json()["code"] == "identity_invalid"
    # Someone else's hash does not open user 42's conversations.
    r = await client.post(f"/api/v1/widget/{token}/session", json={"user": {**user, "hash": sign(secret, "43")}})
    assert r.status_code == 403

    # Without a hash the claimed id is not trusted: the visitor stays anonymous, only named.
    plain = await start(client, token, user={"id": "42", "name": "Mallory"})
    assert plain["visitor"]["id"].startswith("visitor:") and plain["visitor"]["verified"] is False
    assert plain["visitor"]["name"] == "Mallory"

    # An anonymous visitor who signs in keeps the conversation they started.
    anon = await start(client, token)
    conv_id = (await say(client, token, anon, "before sign-in", "a1")).json()["conversation"]["id"]
    signed = await start(
        client, token, visitor_token=anon["visitor_token"], user={"id": "77", "hash": sign(secret, "77")}
    )
    assert signed["visitor"]["id"] == "user:77" and signed["conversation"]["id"] == conv_id
    contacts = (await client.get("/api/v1/contacts", headers=owner.headers)).json()["items"]
    by_identity = {c["identities"]["web"]: c for c in contacts}
    assert by_identity["user:42"]["name"] == "Ada Lovelace"
    assert by_identity[plain["visitor"]["id"]]["name"] == "Mallory"
    assert anon["visitor"]["id"] not in by_identity  # the identity moved to the signed-in user


async def test_required_identity(client: httpx.AsyncClient, owner: Account) -> None:
    inbox = await make_inbox(client, owner)
    token = inbox["public_token"]
    secret = await identity_secret(client, owner, inbox["id"])
    anon = await start(client, token)
    r = await client.patch(f"/api/v1/inboxes/{inbox['id']}", headers=owner.headers, json={"require_identity": True})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/widget/{token}/session", json={})
    assert r.status_code == 403 and r.json()["code"] == "identity_required"
    r = await client.post(f"/api/v1/widget/{token}/session", json={"user": {"id": "9"}})
    assert r.status_code == 403 and r.json()["code"] == "identity_required"
    r = await client.post(f"/api/v1/widget/{token}/session", json={"user": {"id": "9", "hash": "00" * 32}})
    assert r.status_code == 403 and r.json()["code"] == "identity_invalid"
    # A token issued before the inbox required identities no longer speaks for anyone.
    r = await say(client, token, anon, "hello", "old")
    assert r.status_code == 403 and r.json()["code"] == "identity_required"
    ok = await start(client, token, user={"id": "9", "hash": sign(secret, "9")})
    assert (await say(client, token, ok, "hello", "new")).status_code == 201


async def test_allowed_origins(client: httpx.AsyncClient, owner: Account) -> None:
    inbox = await make_inbox(client, owner, allowed_origins=["https://shop.example.com"])
    token = inbox["public_token"]
    r = await client.post(f"/api/v1/widget/{token}/session", json={}, headers={"Origin": "https://evil.example.net"})
    assert r.status_code == 403 and r.json()["code"] == "origin_not_allowed"
    # The refusal is readable by the widget, so it can say why it is not there.
    assert r.headers["access-control-allow-origin"] == "https://evil.example.net"
    r = await client.post(f"/api/v1/widget/{token}/session", json={}, headers={"Origin": "https://shop.example.com"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://shop.example.com"
    session = r.json()
    r = await client.get(f"/api/v1/widget/{token}/messages", headers={**auth(session), "Origin": "https://x.test"})
    assert r.status_code == 403
    pre = await client.options(
        f"/api/v1/widget/{token}/messages",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert "authorization" in pre.headers["access-control-allow-headers"]
    # Frontdesk's own demo page may always show the widget.
    r = await client.post(f"/api/v1/widget/{token}/session", json={}, headers={"Origin": "http://testserver"})
    assert r.status_code == 200


async def test_other_inboxes_tokens(client: httpx.AsyncClient, owner: Account, other_owner: Account) -> None:
    mine = (await make_inbox(client, owner))["public_token"]
    theirs = (await make_inbox(client, other_owner))["public_token"]
    api_inbox = (await make_inbox(client, owner, name="Backend", channel="api"))["public_token"]
    for token in ("no-such-token", api_inbox):
        r = await client.post(f"/api/v1/widget/{token}/session", json={})
        assert r.status_code == 404 and r.json()["code"] == "inbox_not_found"
    session = await start(client, mine)
    await say(client, mine, session, "secret order details", "s1")
    # A visitor token of one inbox is nobody in another.
    r = await client.get(f"/api/v1/widget/{theirs}/messages", headers=auth(session))
    assert r.status_code == 401
    r = await client.post(f"/api/v1/widget/{theirs}/session", json={"visitor_token": session["visitor_token"]})
    assert r.status_code == 200 and r.json()["messages"] == []
    assert r.json()["visitor"]["id"] != session["visitor"]["id"]


async def test_attachments(client: httpx.AsyncClient, owner: Account, runtime: Any) -> None:
    token = (await make_inbox(client, owner))["public_token"]
    session = await start(client, token)
    url = f"/api/v1/widget/{token}/attachments"
    r = await client.post(
        url,
        headers=auth(session),
        files={"file": ("photo.png", PNG, "image/png")},
        data={"content": "my receipt", "client_id": "f-1"},
    )
    assert r.status_code == 201, r.text
    message = r.json()["message"]
    assert message["content_type"] == "image" and message["content"] == "my receipt"
    [file] = message["attachments"]
    assert file["name"] == "photo.png" and file["size"] == len(PNG) and file["content_type"] == "image/png"
    got = await client.get(file["url"])
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    base, _query = file["url"].split("?")
    assert (await client.get(base)).status_code == 403
    assert (await client.get(file["url"].replace("sig=", "sig=x"))).status_code == 403
    expired = storage.sign(runtime.settings, base, now=time.time() - storage.URL_TTL_SECONDS - 10)
    gone = await client.get(expired)
    assert gone.status_code == 410 and gone.json()["code"] == "file_link_expired"

    text = await client.post(url, headers=auth(session), files={"file": ("notes.csv", b"a,b\n1,2\n", "text/csv")})
    assert text.status_code == 201 and text.json()["message"]["content_type"] == "file"
    served = await client.get(text.json()["message"]["attachments"][0]["url"])
    assert served.headers["content-disposition"].startswith("attachment")

    for name, data, kind in (
        ("evil.html", b"<html><script>alert(1)</script>", "text/html"),
        ("tool.exe", b"MZ\x90\x00binary", "application/octet-stream"),
        ("fake.png", b"<svg onload=alert(1)>", "image/png"),
        ("page.txt", b"\x00\x01\x02binary", "text/plain"),
    ):
        r = await client.post(url, headers=auth(session), files={"file": (name, data, kind)})
        assert r.status_code == 422 and r.json()["code"] == "attachment_type_not_allowed", (name, r.text)
    r = await client.post(url, headers=auth(session), files={"file": ("doc.pdf", PNG, "application/pdf")})
    assert r.status_code == 422 and r.json()["code"] == "attachment_type_mismatch"
    r = await client.post(url, files={"file": ("photo.png", PNG, "image/png")})
    assert r.status_code == 401


class TestAttachmentSize:
    LIMIT = 200_000

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        # An attachment limit above the general body limit: upload routes get their own.
        return {"attachment_max_bytes": self.LIMIT, "max_body_bytes": 100_000}

    async def test_too_large_is_refused(self, client: httpx.AsyncClient, owner: Account) -> None:
        token = (await make_inbox(client, owner))["public_token"]
        session = await start(client, token)
        assert session["limits"]["max_attachment_bytes"] == self.LIMIT
        fits = PNG + b"\x00" * (self.LIMIT - len(PNG) - 10)
        r = await client.post(
            f"/api/v1/widget/{token}/attachments", headers=auth(session), files={"file": ("ok.png", fits, "image/png")}
        )
        assert r.status_code == 201, r.text
        before = (await client.get(f"/api/v1/widget/{token}/messages", headers=auth(session))).json()["items"]
        big = PNG + b"\x00" * (self.LIMIT - len(PNG) + 1)
        r = await client.post(
            f"/api/v1/widget/{token}/attachments", headers=auth(session), files={"file": ("big.png", big, "image/png")}
        )
        assert r.status_code == 413 and r.json()["code"] == "attachment_too_large"
        page = (await client.get(f"/api/v1/widget/{token}/messages", headers=auth(session))).json()
        assert page["items"] == before  # nothing stored half-way


async def test_prechat_form(client: httpx.AsyncClient, owner: Account) -> None:
    token = (await make_inbox(client, owner, prechat_required=True, prechat_fields=["name", "email"]))["public_token"]
    session = await start(client, token)
    assert session["prechat"] == {"required": True, "fields": ["name", "email"], "completed": False}
    r = await say(client, token, session, "hello", "p1")
    assert r.status_code == 409 and r.json()["code"] == "prechat_required"
    r = await client.post(f"/api/v1/widget/{token}/prechat", headers=auth(session), json={"name": "Grace"})
    assert r.status_code == 422 and r.json()["details"]["missing"] == ["email"]
    r = await client.post(
        f"/api/v1/widget/{token}/prechat", headers=auth(session), json={"name": XSS, "email": "grace@example.com"}
    )
    assert r.status_code == 200 and r.json()["completed"] is True
    assert (await say(client, token, session, "hello", "p2")).status_code == 201
    again = await start(client, token, visitor_token=session["visitor_token"])
    assert again["prechat"]["completed"] is True and again["visitor"]["name"] == XSS


async def test_attributes(client: httpx.AsyncClient, owner: Account) -> None:
    token = (await make_inbox(client, owner))["public_token"]
    session = await start(client, token)
    r = await client.post(
        f"/api/v1/widget/{token}/attributes",
        headers=auth(session),
        json={"attributes": {"plan": "gold", "seats": 12, "trial": False}},
    )
    assert r.status_code == 200, r.text
    contacts = (await client.get("/api/v1/contacts", headers=owner.headers)).json()["items"]
    [contact] = [c for c in contacts if c["identities"].get("web") == session["visitor"]["id"]]
    assert contact["attributes"] == {"plan": "gold", "seats": 12, "trial": False}
    r = await client.post(
        f"/api/v1/widget/{token}/attributes", headers=auth(session), json={"attributes": {"Bad Key": 1}}
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_attribute_key"


async def test_csat_once_after_resolution(client: httpx.AsyncClient, owner: Account) -> None:
    token = (await make_inbox(client, owner))["public_token"]
    session = await start(client, token)
    conv_id = (await say(client, token, session, "help", "c1")).json()["conversation"]["id"]
    csat = f"/api/v1/widget/{token}/csat"
    r = await client.post(csat, headers=auth(session), json={"rating": 5})
    assert r.status_code == 409 and r.json()["code"] == "not_resolved"
    r = await client.patch(f"/api/v1/conversations/{conv_id}", headers=owner.headers, json={"status": "resolved"})
    assert r.status_code == 200, r.text
    state = (await start(client, token, visitor_token=session["visitor_token"]))["conversation"]
    assert state["status"] == "resolved" and state["csat_requested"] is True
    assert (await client.post(csat, headers=auth(session), json={"rating": 6})).status_code == 422
    r = await client.post(csat, headers=auth(session), json={"rating": 4, "comment": "Quick, thanks"})
    assert r.status_code == 201 and r.json()["rating"] == 4
    r = await client.post(csat, headers=auth(session), json={"rating": 1})
    assert r.status_code == 409 and r.json()["code"] == "already_rated"
    state = (await start(client, token, visitor_token=session["visitor_token"]))["conversation"]
    assert state["csat_requested"] is False and state["rated"] is True
    # Writing again after a resolution starts a new conversation, continuing the same history.
    new = (await say(client, token, session, "one more thing", "c2")).json()["conversation"]
    assert new["id"] != conv_id
    history = (await start(client, token, visitor_token=session["visitor_token"]))["messages"]
    assert {m["conversation_id"] for m in history} == {conv_id, new["id"]}


async def test_read_marks_and_agent_read_state(client: httpx.AsyncClient, owner: Account) -> None:
    token = (await make_inbox(client, owner))["public_token"]
    session = await start(client, token)
    conv_id = (await say(client, token, session, "anyone there?", "r1")).json()["conversation"]["id"]
    r = await client.post(
        f"/api/v1/conversations/{conv_id}/messages", headers=owner.headers, json={"content": "Yes, Dana here."}
    )
    assert r.status_code == 201, r.text
    page = (await client.get(f"/api/v1/widget/{token}/messages", headers=auth(session))).json()
    # Replying marks the conversation read for the agent: the visitor sees "Seen".
    assert page["conversation"]["agent_read_at"] is not None
    reply = next(m for m in page["items"] if m["sender_type"] == "agent")
    assert reply["read_at"] is None and reply["sender_name"]
    r = await client.post(f"/api/v1/widget/{token}/read", headers=auth(session))
    assert r.status_code == 200 and r.json()["marked"] >= 1
    page = (await client.get(f"/api/v1/widget/{token}/messages", headers=auth(session))).json()
    reply = next(m for m in page["items"] if m["sender_type"] == "agent")
    assert reply["read_at"] is not None and reply["delivery_status"] == "read"


class TestRateLimit:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"rate_limit_widget": "3/minute"}

    async def test_sending_too_fast(self, client: httpx.AsyncClient, owner: Account, runtime: Any) -> None:
        await runtime.limiter.reset()
        token = (await make_inbox(client, owner))["public_token"]
        session = await start(client, token)
        for n in range(3):
            assert (await say(client, token, session, f"m{n}", f"id-{n}")).status_code == 201
        r = await client.post(
            f"/api/v1/widget/{token}/messages",
            headers={**auth(session), "Origin": "https://a.test"},
            json={"content": "again", "client_id": "id-9"},
        )
        assert r.status_code == 429 and r.json()["code"] == "rate_limited"
        assert int(r.headers["retry-after"]) >= 1
        assert "retry-after" in r.headers["access-control-expose-headers"].lower()


async def test_script_and_demo_page(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.get("/widget.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    # A budget for the one script every visitor loads, unminified and uncompressed (about 13 KB gzipped).
    assert len(r.content) < 48 * 1024
    assert "public, max-age=" in r.headers["cache-control"]
    assert "innerHTML" not in r.text
    again = await client.get("/widget.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304

    inbox = await make_inbox(client, owner, name='Shop "<b>bold</b>"')
    page = await client.get("/widget/demo", params={"inbox": inbox["public_token"]})
    assert page.status_code == 200
    assert f'data-inbox="{inbox["public_token"]}"' in page.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in page.text and "<b>bold</b>" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    missing = await client.get("/widget/demo", params={"inbox": "nope"})
    assert missing.status_code == 404 and "No web inbox" in missing.text
