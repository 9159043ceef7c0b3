"""The inbox, team and webhook settings pages: forms, inline problems, roles, CSRF and escaping."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Account, sign_up
from tests.web.conftest import WebClient, join_as, secret_value

Web = Callable[[], Awaitable[WebClient]]

XSS = "<script>alert('inbox')</script>"


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Tests that need loopback webhook targets pass ``{"allow_private_network_targets": True}`` indirectly."""
    return dict(getattr(request, "param", {}))


async def _signed_in(web: Web, client: httpx.AsyncClient) -> tuple[Account, WebClient]:
    """An owner with API credentials (to read back what the pages did) and a browser signed in as them."""
    owner = await sign_up(client, org="Acme")
    browser = await web()
    await browser.login(owner.email)
    return owner, browser


async def _create_inbox(browser: WebClient, name: str = "Website", channel: str = "web") -> str:
    r = await browser.post("/app/settings/inboxes", {"name": name, "channel": channel})
    assert r.status_code == 303, r.text
    found = re.fullmatch(r"/app/settings/inboxes/([0-9a-f-]{36})", r.headers["location"])
    assert found, r.headers["location"]
    return found.group(1)


def _snippet_token(text: str) -> str:
    found = re.search(r'<textarea id="snippet"[^>]*>(.*?)</textarea>', text, re.S)
    assert found, text
    token = re.search(r'data-inbox="([^"]+)"', html.unescape(found.group(1)))
    assert token, found.group(1)
    return token.group(1)


def _settings_form(**changes: Any) -> dict[str, Any]:
    """Every field the inbox form sends, as the browser would send it (unchecked boxes are absent)."""
    form: dict[str, Any] = {
        "name": "Website",
        "greeting": "Hi! How can we help?",
        "widget_color": "#2563eb",
        "widget_position": "right",
        "timezone": "UTC",
        "hours_mode": "always",
        "out_of_office_message": "",
        "max_open_per_agent": "10",
        "team_id": "",
        "allowed_origins": "",
        "assistant_enabled": "on",
        "auto_assign": "on",
        "csat_enabled": "on",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


# ---------------------------------------------------------------- inboxes


async def test_create_inbox_shows_its_snippet_and_the_widget_answers_its_token(
    web: Web, client: httpx.AsyncClient
) -> None:
    owner, browser = await _signed_in(web, client)
    page = await browser.get("/app/settings/inboxes")
    assert page.status_code == 200
    for label in ("Inboxes", "Teams", "Webhooks"):
        assert f">{label}</a>" in page.text
    assert "No inboxes yet." in page.text and '<label for="f-channel">' in page.text

    empty = await browser.post("/app/settings/inboxes", {"name": " ", "channel": "web"})
    assert empty.status_code == 422 and "There is a problem" in empty.text
    r = await browser.post("/app/settings/inboxes", {"name": "Website", "channel": "carrier-pigeon"})
    assert r.status_code == 422 and "Choose where customers write from." in r.text
    assert 'value="Website"' in r.text  # what was typed is kept

    inbox_id = await _create_inbox(browser)
    page = await browser.get(f"/app/settings/inboxes/{inbox_id}")
    assert page.status_code == 200
    assert "The inbox “Website” was created." in page.text
    duplicate = await browser.post("/app/settings/inboxes", {"name": "Website", "channel": "api"})
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    token = _snippet_token(page.text)
    api = (await client.get(f"/api/v1/inboxes/{inbox_id}", headers=owner.headers)).json()
    assert token == api["public_token"]
    assert 'data-copy="snippet"' in page.text
    assert f'href="/widget/demo?inbox={token}"' in page.text
    assert (await client.get(f"/widget/demo?inbox={token}")).status_code == 200
    assert 'aria-current="page">Inboxes</a>' in page.text

    listed = await browser.get("/app/settings/inboxes")
    assert f'href="/app/settings/inboxes/{inbox_id}">Website</a>' in listed.text
    assert "Website widget" in listed.text and "status-open" in listed.text
    assert f'href="/app/inbox?inbox={inbox_id}&amp;status=all"' in listed.text

    api_inbox = await _create_inbox(browser, name="Backend", channel="api")
    page = await browser.get(f"/app/settings/inboxes/{api_inbox}")
    assert f"/api/v1/inboxes/{api_inbox}/messages" in page.text and 'id="snippet"' not in page.text


async def test_inbox_settings_are_saved_and_problems_shown_next_to_their_fields(
    web: Web, client: httpx.AsyncClient
) -> None:
    owner, browser = await _signed_in(web, client)
    inbox_id = await _create_inbox(browser)
    path = f"/app/settings/inboxes/{inbox_id}"

    r = await browser.post(
        path,
        _settings_form(
            greeting="Welcome to Acme",
            widget_color="#FF0000",
            widget_position="left",
            timezone="Europe/Paris",
            hours_mode="hours",
            hours_mon_0_from="09:00",
            hours_mon_0_to="17:30",
            hours_tue_0_from="09:00",
            hours_tue_0_to="12:00",
            hours_tue_1_from="13:00",
            hours_tue_1_to="17:00",
            hours_fri_0_from="18:00",
            hours_fri_0_to="00:00",
            out_of_office_message="We are closed; we answer tomorrow.",
            prechat_required="on",
            prechat_fields=["email", "name"],
            auto_assign=None,
            csat_enabled=None,
            copilot="on",
            max_open_per_agent="5",
            allowed_origins="https://www.example.com/\n\nhttps://shop.example.com",
        ),
    )
    assert r.status_code == 303, r.text
    saved = (await client.get(f"/api/v1/inboxes/{inbox_id}", headers=owner.headers)).json()
    assert saved["business_hours"] == {
        "mon": [["09:00", "17:30"]],
        "tue": [["09:00", "12:00"], ["13:00", "17:00"]],
        "fri": [["18:00", "24:00"]],
    }
    assert {k: saved[k] for k in ("widget_color", "widget_position", "timezone", "max_open_per_agent")} == {
        "widget_color": "#ff0000",
        "widget_position": "left",
        "timezone": "Europe/Paris",
        "max_open_per_agent": 5,
    }
    assert saved["allowed_origins"] == ["https://www.example.com", "https://shop.example.com"]
    assert saved["prechat_fields"] == ["email", "name"] and saved["prechat_required"] is True
    assert (saved["auto_assign"], saved["csat_enabled"], saved["copilot"], saved["assistant_enabled"]) == (
        False,
        False,
        True,
        True,
    )
    page = await browser.get(path)
    assert "were saved" in page.text
    assert 'value="#ff0000"' in page.text and '<option value="Europe/Paris" selected>' in page.text
    assert 'name="hours_fri_0_to" value="00:00"' in page.text  # midnight, as a time input can hold it
    assert 'name="hours_tue_1_from" value="13:00"' in page.text
    assert re.search(r'id="f-copilot" name="copilot" value="on" checked', page.text)
    assert not re.search(r'id="f-auto_assign" name="auto_assign" value="on" checked', page.text)

    # Problems come back inline, with what was typed kept.
    bad_hours = await browser.post(
        path, _settings_form(hours_mode="hours", hours_wed_0_from="17:00", hours_wed_0_to="09:00")
    )
    assert bad_hours.status_code == 422
    assert "Wednesday: 09:00 is not after 17:00." in bad_hours.text
    assert 'name="hours_wed_0_from" value="17:00"' in bad_hours.text
    no_hours = await browser.post(path, _settings_form(hours_mode="hours"))
    assert no_hours.status_code == 422 and "Add opening hours for at least one day" in no_hours.text
    half = await browser.post(path, _settings_form(hours_mode="hours", hours_thu_0_from="09:00"))
    assert half.status_code == 422 and "Thursday: enter both an opening and a closing time" in half.text
    origin = await browser.post(path, _settings_form(allowed_origins="https://ok.example.com\nnot a site"))
    assert origin.status_code == 422 and "is not an origin" in origin.text
    assert 'href="#f-allowed_origins"' in origin.text
    number = await browser.post(path, _settings_form(max_open_per_agent="0"))
    assert number.status_code == 422 and "Enter a whole number from 1 to 1000." in number.text
    prechat = await browser.post(path, _settings_form(prechat_required="on"))
    assert prechat.status_code == 422 and "needs at least one field" in prechat.text
    identity = await browser.post(path, _settings_form(require_identity="on"))
    assert identity.status_code == 422 and "Generate an identity secret below" in identity.text
    after = (await client.get(f"/api/v1/inboxes/{inbox_id}", headers=owner.headers)).json()
    assert after["business_hours"] == saved["business_hours"] and after["require_identity"] is False

    # The identity secret is shown once; then identities can be required.
    r = await browser.post(f"{path}/identity-secret")
    assert r.status_code == 303
    shown = await browser.get(path)
    secret = secret_value(shown.text)
    assert secret and len(secret) >= 32 and "shown only this once" in shown.text
    again = await browser.get(path)
    assert secret_value(again.text) is None and "Secret set" in again.text
    assert (await browser.post(path, _settings_form(require_identity="on"))).status_code == 303
    assert (await client.get(f"/api/v1/inboxes/{inbox_id}", headers=owner.headers)).json()["require_identity"]


async def test_rotating_the_token_and_deleting_the_inbox(web: Web, client: httpx.AsyncClient) -> None:
    owner, browser = await _signed_in(web, client)
    inbox_id = await _create_inbox(browser, name="Shop")
    path = f"/app/settings/inboxes/{inbox_id}"
    page = await browser.get(path)
    old = _snippet_token(page.text)
    assert 'data-confirm="Rotate the public token of “Shop”?' in page.text
    assert (await browser.post(f"{path}/rotate-token")).status_code == 303
    page = await browser.get(path)
    new = _snippet_token(page.text)
    assert new != old and "has a new public token" in page.text
    assert (await client.get(f"/widget/demo?inbox={old}")).status_code == 404
    assert (await client.get(f"/widget/demo?inbox={new}")).status_code == 200

    r = await browser.post(f"{path}/delete")
    assert (r.status_code, r.headers["location"]) == (303, "/app/settings/inboxes")
    listed = await browser.get("/app/settings/inboxes")
    assert "The inbox “Shop” was deleted." in listed.text and f"/app/settings/inboxes/{inbox_id}" not in listed.text
    assert (await browser.get(path)).status_code == 404
    assert (await client.get(f"/api/v1/inboxes/{inbox_id}", headers=owner.headers)).status_code == 404
    missing = await browser.post("/app/settings/inboxes/not-an-id/delete")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")


async def test_inbox_name_is_escaped_everywhere(owner_web: WebClient) -> None:
    inbox_id = await _create_inbox(owner_web, name=XSS)
    for path in ("/app/settings/inboxes", f"/app/settings/inboxes/{inbox_id}"):
        page = await owner_web.get(path)
        assert page.status_code == 200
        assert XSS not in page.text and "<script>alert(" not in page.text
        assert "&lt;script&gt;alert(&#39;inbox&#39;)&lt;/script&gt;" in page.text
    page = await owner_web.get(f"/app/settings/inboxes/{inbox_id}")
    assert "script-src 'self'" in page.headers["content-security-policy"]


async def test_viewer_sees_settings_read_only_and_every_write_is_refused(web: Web, client: httpx.AsyncClient) -> None:
    owner, browser = await _signed_in(web, client)
    inbox_id = await _create_inbox(browser, name="Website")
    assert (await browser.post("/app/settings/teams", {"name": "Billing"})).status_code == 303
    team_id = (await client.get("/api/v1/teams", headers=owner.headers)).json()[0]["id"]
    viewer, _ = await join_as(web, browser, "viewer", name="Vic Viewer")

    home = await viewer.get("/app")
    assert ">Inboxes</a>" in home.text and ">Teams</a>" in home.text and ">Webhooks</a>" not in home.text
    listed = await viewer.get("/app/settings/inboxes")
    assert listed.status_code == 200 and "Website" in listed.text and "Create inbox" not in listed.text
    page = await viewer.get(f"/app/settings/inboxes/{inbox_id}")
    assert page.status_code == 200
    assert "can see these settings but not change them" in page.text
    assert 'method="post"' not in page.text.split("</header>")[1].split('action="/logout"')[0]
    assert "Rotate token" not in page.text and "Delete inbox" not in page.text
    assert _snippet_token(page.text)  # the snippet is public by design
    teams = await viewer.get("/app/settings/teams")
    assert teams.status_code == 200 and "Billing" in teams.text
    assert "Create team" not in teams.text and 'action="/app/settings/teams' not in teams.text
    hooks = await viewer.get("/app/settings/webhooks")
    assert hooks.status_code == 403 and "Add webhook" not in hooks.text

    writes = [
        ("/app/settings/inboxes", {"name": "Sneaky", "channel": "web"}),
        (f"/app/settings/inboxes/{inbox_id}", _settings_form(name="Sneaky")),
        (f"/app/settings/inboxes/{inbox_id}/rotate-token", {}),
        (f"/app/settings/inboxes/{inbox_id}/identity-secret", {}),
        (f"/app/settings/inboxes/{inbox_id}/delete", {}),
        ("/app/settings/teams", {"name": "Sneaky"}),
        (f"/app/settings/teams/{team_id}", {"name": "Sneaky"}),
        (f"/app/settings/teams/{team_id}/members", {"user_id": owner.user_id}),
        (f"/app/settings/teams/{team_id}/delete", {}),
        ("/app/settings/webhooks", {"url": "https://example.com/hook", "events": "contact.created"}),
    ]
    for path, form in writes:
        r = await viewer.post(path, form)
        assert r.status_code == 403, (path, r.status_code)
        assert r.headers["content-type"].startswith("text/html")
    inbox = (await client.get(f"/api/v1/inboxes/{inbox_id}", headers=owner.headers)).json()
    assert (inbox["name"], inbox["has_identity_secret"]) == ("Website", False)
    assert [t["name"] for t in (await client.get("/api/v1/teams", headers=owner.headers)).json()] == ["Billing"]
    assert len((await client.get("/api/v1/inboxes", headers=owner.headers)).json()) == 1


async def test_a_form_without_its_csrf_token_changes_nothing(web: Web, client: httpx.AsyncClient) -> None:
    owner, browser = await _signed_in(web, client)
    inbox_id = await _create_inbox(browser, name="Website")
    for path, form in [
        ("/app/settings/inboxes", {"name": "Forged", "channel": "web"}),
        (f"/app/settings/inboxes/{inbox_id}/delete", {}),
        ("/app/settings/teams", {"name": "Forged"}),
        ("/app/settings/webhooks", {"url": "https://example.com/hook", "events": "contact.created"}),
    ]:
        r = await browser.post(path, form, csrf=False)
        assert r.status_code == 403 and "Form expired" in r.text, path
    forged = await browser.post("/app/settings/inboxes", {"name": "Forged", "channel": "web", "csrf_token": "guess"})
    assert forged.status_code == 403
    assert [i["name"] for i in (await client.get("/api/v1/inboxes", headers=owner.headers)).json()] == ["Website"]
    assert (await client.get("/api/v1/teams", headers=owner.headers)).json() == []


# ---------------------------------------------------------------- teams


async def test_teams_create_add_members_route_rename_and_delete(web: Web, client: httpx.AsyncClient) -> None:
    owner, browser = await _signed_in(web, client)
    _agent, agent_email = await join_as(web, browser, "agent", name="Andy Agent")
    page = await browser.get("/app/settings/teams")
    assert page.status_code == 200 and "No teams yet." in page.text

    r = await browser.post("/app/settings/teams", {"name": "Billing", "description": "Invoices & refunds"})
    assert r.status_code == 303 and r.headers["location"].startswith("/app/settings/teams#team-")
    team_id = r.headers["location"].split("#team-")[1]
    page = await browser.get("/app/settings/teams")
    assert "The team “Billing” was created." in page.text and "Invoices &amp; refunds" in page.text
    taken = await browser.post("/app/settings/teams", {"name": "Billing"})
    assert taken.status_code == 409 and "already exists" in taken.text and 'value="Billing"' in taken.text
    agent_id = re.search(r'<option value="([0-9a-f-]{36})">Andy Agent \(', page.text)
    assert agent_id, page.text
    r = await browser.post(f"/app/settings/teams/{team_id}/members", {"user_id": agent_id.group(1)})
    assert r.status_code == 303
    page = await browser.get("/app/settings/teams")
    assert "Andy Agent is in the team “Billing”." in page.text
    assert f'<span class="muted">{agent_email}</span>' in page.text and "Members (1)" in page.text
    assert f'<option value="{agent_id.group(1)}">' not in page.text  # no longer offered
    api = (await client.get(f"/api/v1/teams/{team_id}", headers=owner.headers)).json()
    assert [m["email"] for m in api["members"]] == [agent_email]

    # Someone from another organization cannot be added, and the page says why.
    stranger = await sign_up(client, org="Globex")
    r = await browser.post(f"/app/settings/teams/{team_id}/members", {"user_id": stranger.user_id})
    assert r.status_code == 422 and "not a member of this organization" in r.text
    assert (await browser.post(f"/app/settings/teams/{team_id}/members", {"user_id": ""})).status_code == 422

    # An inbox can route to the team; deleting the team routes it to everyone again.
    inbox_id = await _create_inbox(browser)
    inbox_page = await browser.get(f"/app/settings/inboxes/{inbox_id}")
    assert f'<option value="{team_id}" >Billing</option>' in inbox_page.text
    assert (await browser.post(f"/app/settings/inboxes/{inbox_id}", _settings_form(team_id=team_id))).status_code == 303
    assert "Billing" in (await browser.get("/app/settings/inboxes")).text

    r = await browser.post(f"/app/settings/teams/{team_id}", {"name": "Support", "description": ""})
    assert r.status_code == 303
    blank = await browser.post(f"/app/settings/teams/{team_id}", {"name": "", "description": ""})
    assert blank.status_code == 422 and "There is a problem" in blank.text
    r = await browser.post(f"/app/settings/teams/{team_id}/members/{agent_id.group(1)}/remove")
    assert r.status_code == 303
    page = await browser.get("/app/settings/teams")
    assert "Andy Agent was removed from the team “Support”." in page.text
    assert f'<span class="muted">{agent_email}</span>' not in page.text and "Members (0)" in page.text
    gone = await browser.post(f"/app/settings/teams/{team_id}/members/{agent_id.group(1)}/remove")
    assert gone.status_code == 404 and "not in this team" in gone.text

    r = await browser.post(f"/app/settings/teams/{team_id}/delete")
    assert (r.status_code, r.headers["location"]) == (303, "/app/settings/teams")
    assert "The team “Support” was deleted." in (await browser.get("/app/settings/teams")).text
    inbox = (await client.get(f"/api/v1/inboxes/{inbox_id}", headers=owner.headers)).json()
    assert inbox["team_id"] is None


# ---------------------------------------------------------------- webhooks


async def test_webhook_to_a_loopback_address_is_refused_with_the_guards_message(owner_web: WebClient) -> None:
    page = await owner_web.get("/app/settings/webhooks")
    assert page.status_code == 200 and "No webhooks yet." in page.text
    assert 'value="conversation.created"' in page.text and 'value="csat.submitted"' in page.text
    form = {"url": "http://127.0.0.1:9/hook", "events": "contact.created", "description": "Local"}
    r = await owner_web.post("/app/settings/webhooks", form)
    assert r.status_code == 422
    assert "127.0.0.1 resolves to 127.0.0.1, a private or loopback address" in r.text
    assert 'href="#f-url"' in r.text and 'value="http://127.0.0.1:9/hook"' in r.text
    assert re.search(r'value="contact.created" checked', r.text)
    none = await owner_web.post("/app/settings/webhooks", {"url": "https://example.com/hook"})
    assert none.status_code == 422 and "Choose at least one event." in none.text
    scheme = await owner_web.post("/app/settings/webhooks", {"url": "ftp://example.com/", "events": "message.created"})
    assert scheme.status_code == 422 and "Only http and https URLs" in scheme.text
    assert "No webhooks yet." in (await owner_web.get("/app/settings/webhooks")).text


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A loopback HTTP server that answers every request 204 and keeps what it received."""
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"(?i)content-length:\s*(\d+)", head)
        body = await reader.readexactly(int(length.group(1))) if length else b""
        received.append(head + body)
        writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/hooks/frontdesk", received
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize("settings_overrides", [{"allow_private_network_targets": True}], indirect=True)
async def test_webhook_lifecycle_test_event_and_delivery_log(
    owner_web: WebClient, receiver: tuple[str, list[bytes]]
) -> None:
    url, received = receiver
    r = await owner_web.post(
        "/app/settings/webhooks", {"url": url, "events": ["contact.created", "message.created"], "description": "CRM"}
    )
    assert r.status_code == 303, r.text
    path = r.headers["location"]
    page = await owner_web.get(path)
    secret = secret_value(page.text)
    assert secret and secret.startswith("whsec_") and "shown only this once" in page.text
    assert secret_value((await owner_web.get(path)).text) is None
    listed = await owner_web.get("/app/settings/webhooks")
    assert f'href="{path}">{url}</a>' in listed.text and "2 events" in listed.text

    assert (await owner_web.post(f"{path}/test")).status_code == 303
    page = await owner_web.get(path)
    assert "A test event is on its way." in page.text
    assert "<code>webhook.test</code>" in page.text and "Showing 1 to 1 of 1 delivery" in page.text
    for _ in range(200):
        page = await owner_web.get(path)
        if "status-delivered" in page.text:
            break
        await asyncio.sleep(0.05)
    assert '<span class="status status-delivered">delivered</span>' in page.text
    assert "HTTP 204" in page.text
    assert received and b"X-Frontdesk-Event: webhook.test" in received[0]

    # Pause and resume.
    assert (await owner_web.post(f"{path}/pause")).status_code == 303
    page = await owner_web.get(path)
    assert "is paused" in page.text and f'action="{path}/resume"' in page.text
    assert (await owner_web.post(f"{path}/resume")).status_code == 303
    assert f'action="{path}/pause"' in (await owner_web.get(path)).text

    # Edit: a bad URL is refused inline; events and description are saved.
    bad = await owner_web.post(path, {"url": "ftp://nope", "events": "contact.created"})
    assert bad.status_code == 422 and "Only http and https URLs" in bad.text
    ok = await owner_web.post(path, {"url": url, "events": ["csat.submitted"], "description": "Ratings"})
    assert ok.status_code == 303
    page = await owner_web.get(path)
    assert "The webhook was saved." in page.text and re.search(r'value="csat.submitted" checked', page.text)
    assert not re.search(r'value="contact.created" checked', page.text)

    # Rotating shows a new secret once.
    assert (await owner_web.post(f"{path}/rotate-secret")).status_code == 303
    rotated = secret_value((await owner_web.get(path)).text)
    assert rotated and rotated.startswith("whsec_") and rotated != secret

    # The log pages, newest first, and filters by status.
    for _ in range(25):
        assert (await owner_web.post(f"{path}/test")).status_code == 303
    page = await owner_web.get(path)
    assert "Showing 1 to 25 of 26 deliveries" in page.text and "Page 1 of 2" in page.text
    second = await owner_web.get(f"{path}?page=2")
    assert "Showing 26 to 26 of 26" in second.text and 'rel="prev"' in second.text
    failed = await owner_web.get(f"{path}?status=failed")
    assert "No deliveries with this status yet." in failed.text

    r = await owner_web.post(f"{path}/delete")
    assert (r.status_code, r.headers["location"]) == (303, "/app/settings/webhooks")
    assert "was deleted, with its delivery log" in (await owner_web.get("/app/settings/webhooks")).text
    assert (await owner_web.get(path)).status_code == 404


@pytest.mark.parametrize("settings_overrides", [{"allow_private_network_targets": True}], indirect=True)
async def test_another_organizations_ids_answer_not_found(web: Web, client: httpx.AsyncClient) -> None:
    owner, browser = await _signed_in(web, client)
    inbox_id = await _create_inbox(browser, name="Acme private inbox")
    assert (await browser.post("/app/settings/teams", {"name": "Acme private team"})).status_code == 303
    team_id = (await client.get("/api/v1/teams", headers=owner.headers)).json()[0]["id"]
    hook = await browser.post("/app/settings/webhooks", {"url": "http://127.0.0.1:9/acme", "events": "contact.created"})
    webhook_path = hook.headers["location"]
    other = await web()
    await other.register(org="Globex", name="Gus Globex")
    for path in (f"/app/settings/inboxes/{inbox_id}", webhook_path):
        r = await other.get(path)
        assert r.status_code == 404 and "Acme private" not in r.text and "127.0.0.1:9/acme" not in r.text
    for path, form in [
        (f"/app/settings/inboxes/{inbox_id}", _settings_form(name="Taken over")),
        (f"/app/settings/inboxes/{inbox_id}/delete", {}),
        (f"/app/settings/teams/{team_id}", {"name": "Taken over"}),
        (f"/app/settings/teams/{team_id}/delete", {}),
        (f"{webhook_path}/test", {}),
        (f"{webhook_path}/delete", {}),
    ]:
        assert (await other.post(path, form)).status_code == 404, path
    listed = await other.get("/app/settings/inboxes")
    assert "Acme private" not in listed.text
    assert (await client.get(f"/api/v1/inboxes/{inbox_id}", headers=owner.headers)).json()[
        "name"
    ] == "Acme private inbox"
    assert len((await client.get("/api/v1/webhooks", headers=owner.headers)).json()) == 1


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = "/tmp/inbox-settings.png"


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_inbox_settings_in_a_real_browser(live_server: str, client: httpx.AsyncClient) -> None:
    """CSP, the copy module, the colour and time inputs and the confirmations, in headless Chromium."""
    from playwright.async_api import ConsoleMessage, Dialog, async_playwright, expect

    owner = await sign_up(client, org="Acme")
    problems: list[str] = []
    dialogs: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    async def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.accept()

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            page.set_default_timeout(10_000)
            page.on("console", on_console)
            page.on("dialog", on_dialog)
            await page.goto(f"{live_server}/login")
            await page.get_by_label("Email").fill(owner.email)
            await page.get_by_label("Password").fill(owner.password)
            await page.get_by_role("button", name="Sign in").click()

            await page.get_by_role("navigation", name="Settings").get_by_role("link", name="Inboxes").click()
            await page.get_by_label("Name", exact=True).fill("Website")
            await page.get_by_label("Channel").select_option("web")
            await page.get_by_role("button", name="Create inbox").click()
            await expect(page.get_by_role("heading", level=1)).to_have_text("Website")
            snippet = page.get_by_role("textbox", name="Embed snippet")
            await expect(snippet).to_have_value(re.compile(r'data-inbox="[^"]+"'))
            copy = page.get_by_role("button", name="Copy the snippet")
            await expect(copy).to_be_visible()  # revealed by our module
            await copy.click()
            await expect(page.locator('[data-copy-status="snippet"]')).not_to_be_empty()

            await page.get_by_label("Colour").fill("#0f766e")
            await page.get_by_label("Time zone").select_option("Europe/Paris")
            await page.get_by_label("Open only during these hours").check()
            for day in ("mon", "tue", "wed", "thu", "fri"):
                await page.locator(f"#h-{day}-0-from").fill("09:00")
                await page.locator(f"#h-{day}-0-to").fill("17:30")
            await page.get_by_label("Monday, range 2, opens").fill("19:00")
            await page.get_by_label("Monday, range 2, closes").fill("21:00")
            await page.get_by_label("Message outside opening hours").fill("We are closed; we answer at 9.")
            await page.get_by_role("button", name="Save changes").click()
            await expect(page.get_by_role("status").first).to_contain_text("were saved")
            saved = (await client.get("/api/v1/inboxes", headers=owner.headers)).json()[0]
            assert saved["widget_color"] == "#0f766e" and saved["timezone"] == "Europe/Paris"
            assert saved["business_hours"]["mon"] == [["09:00", "17:30"], ["19:00", "21:00"]]
            assert "sat" not in saved["business_hours"]
            await page.screenshot(path=SCREENSHOT, full_page=True)

            await page.get_by_role("button", name="Rotate token").click()
            await expect(page.get_by_role("status").first).to_contain_text("has a new public token")
            assert any("Rotate the public token" in d for d in dialogs)
        finally:
            await browser.close()
    assert problems == []


@pytest.mark.parametrize("settings_overrides", [{"allow_private_network_targets": True}], indirect=True)
async def test_odd_input_is_answered_never_a_server_error(web: Web, client: httpx.AsyncClient) -> None:
    owner, browser = await _signed_in(web, client)
    inbox_id = await _create_inbox(browser)
    assert (await browser.post("/app/settings/teams", {"name": "Billing"})).status_code == 303
    team_id = (await client.get("/api/v1/teams", headers=owner.headers)).json()[0]["id"]
    hook = await browser.post("/app/settings/webhooks", {"url": "http://127.0.0.1:9/x", "events": "contact.created"})
    webhook_path = hook.headers["location"]
    nul = "a\u0000b"
    odd = [
        ("/app/settings/inboxes", {"name": nul, "channel": "web"}),
        (f"/app/settings/inboxes/{inbox_id}", _settings_form(name=nul, greeting=nul, allowed_origins=nul)),
        (f"/app/settings/inboxes/{inbox_id}", _settings_form(timezone="Etc", team_id="not-a-uuid")),
        (f"/app/settings/inboxes/{inbox_id}", _settings_form(widget_color="red", widget_position="top")),
        (f"/app/settings/inboxes/{inbox_id}", _settings_form(prechat_fields="shoe size", max_open_per_agent="1e9")),
        (f"/app/settings/inboxes/{inbox_id}", _settings_form(hours_mode="hours", hours_mon_0_from="25:00")),
        (f"/app/settings/inboxes/{inbox_id}", _settings_form(team_id="0190a0b0-0000-7000-8000-000000000000")),
        (
            f"/app/settings/inboxes/{inbox_id}",
            _settings_form(allowed_origins="\n".join(f"https://s{n}.example.com" for n in range(60))),
        ),
        ("/app/settings/teams", {"name": nul, "description": "x" * 5000}),
        (f"/app/settings/teams/{team_id}", {"name": "x" * 500}),
        (f"/app/settings/teams/{team_id}/members", {"user_id": "not-a-uuid"}),
        ("/app/settings/webhooks", {"url": "http://[::1", "events": "contact.created"}),
        ("/app/settings/webhooks", {"url": f"http://127.0.0.1:9/{nul}", "events": "nope.event"}),
        (webhook_path, {"url": "http://user:pw@127.0.0.1/", "events": "contact.created", "description": nul}),
    ]
    for path, form in odd:
        r = await browser.post(path, form)
        assert 400 <= r.status_code < 500, (path, form, r.status_code, r.text[-500:])
        assert r.headers["content-type"].startswith("text/html")
    odd_gets = [f"{webhook_path}?page=-3&status=<x>", f"{webhook_path}?page=99999999999", "/app/settings/inboxes/%00"]
    for path in odd_gets:
        assert (await browser.get(path)).status_code < 500, path
