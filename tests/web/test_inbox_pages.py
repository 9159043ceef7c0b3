"""The inbox, team and canned-response pages over HTTP: sign-in, roles, escaping and the forms."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from html import unescape

from frontdesk.kit.runtime import Runtime
from tests.conftest import Account
from tests.conversations.helpers import customer_writes, make_inbox
from tests.web.conftest import WebClient, join_as

Web = Callable[[], Awaitable[WebClient]]

XSS_NAME = '<img src=x onerror="alert(1)">'
SOME_ID = "0190a0b0-0000-7000-8000-000000000000"
XSS_TEXT = "</script><script>alert('text')</script>"


async def _account(browser: WebClient) -> Account:
    """The signed-in person as the conversation helpers want them (ids only; the cookie does the rest)."""
    me = await browser.get("/api/v1/me")
    assert me.status_code == 200, me.text
    body = me.json()
    return Account(body["email"], "", body["id"], body["organization_id"], "", "")


def _boot(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="inbox-boot">(.*?)</script>', html, re.S)
    assert found, html
    return json.loads(found.group(1))


async def _api(browser: WebClient, method: str, path: str, body: dict | None = None) -> dict:
    """A JSON call the way inbox.js makes it: the session cookie plus the CSRF cookie echoed in a header."""
    headers = {"X-CSRF-Token": browser.http.cookies.get("fd_csrf") or ""}
    r = await browser.http.request(method, path, json=body, headers=headers)
    assert r.status_code < 300, r.text
    return r.json() if r.content else {}


async def test_pages_need_a_session(web: Web) -> None:
    anonymous = await web()
    for path, expected in (
        ("/app/inbox", "/login?next=/app/inbox"),
        (
            "/app/inbox/0190a0b0-0000-7000-8000-000000000000",
            "/login?next=/app/inbox/0190a0b0-0000-7000-8000-000000000000",
        ),
        ("/app/team", "/login?next=/app/team"),
        ("/app/settings/canned-responses", "/login?next=/app/settings/canned-responses"),
        ("/app/inbox/session", "/login?next=/app/inbox/session"),
    ):
        r = await anonymous.get(path)
        assert (r.status_code, r.headers["location"]) == (303, expected), path
    r = await anonymous.post("/app/settings/canned-responses", {"shortcut": "hi", "content": "Hello"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_inbox_lists_and_shows_a_conversation_with_customer_text_escaped(
    owner_web: WebClient, runtime: Runtime
) -> None:
    owner = await _account(owner_web)
    inbox_id = await make_inbox(runtime, owner, name="Website")
    customer = await customer_writes(runtime, inbox_id, "v-xss", XSS_TEXT, name=XSS_NAME, email="x@example.com")
    await customer_writes(runtime, inbox_id, "v-plain", "Where is my order?", name="Bea Plain")

    listing = await owner_web.get("/app/inbox")
    assert listing.status_code == 200
    assert "script-src 'self'" in listing.headers["content-security-policy"]
    text = listing.text
    # Nothing the customer typed became markup: not in the list, not in the script's data block.
    assert XSS_NAME not in text and "<img" not in text
    assert "<script>alert" not in text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in text
    assert "bringing in a member of our team" in text  # the newest message is the preview
    assert "Bea Plain" in text and "2 conversations" in text
    assert f'href="/app/inbox/{customer.conversation_id}"' in text
    boot = _boot(text)
    assert boot["me"]["id"] == owner.user_id
    assert boot["can"] == {"reply": True, "manage": True, "contacts_write": True, "contacts_read": True}
    assert boot["inboxes"] == [{"id": inbox_id, "name": "Website", "channel": "web"}]
    assert boot["selected"] is None and boot["filters"]["view"] == "all"
    assert 'id="presence"' in text and 'id="conv-list"' in text

    page = await owner_web.get(f"/app/inbox/{customer.conversation_id}")
    assert page.status_code == 200
    text = page.text
    assert "<img" not in text and "<script>alert" not in text
    title = re.search(r"<title>(.*?)</title>", text, re.S)
    assert title and unescape(title.group(1)).startswith(XSS_NAME)
    assert '<h2 id="thread-title">&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</h2>' in text
    assert 'class="msg msg-contact"' in text
    assert "&lt;/script&gt;&lt;script&gt;alert(&#39;text&#39;)&lt;/script&gt;</div>" in text
    assert "x@example.com" in text  # the contact panel
    assert _boot(text)["selected"] == customer.conversation_id
    assert 'aria-current="true"' in text  # the open conversation is marked in the list


async def test_filters_are_applied_on_the_server(owner_web: WebClient, runtime: Runtime) -> None:
    owner = await _account(owner_web)
    web_inbox = await make_inbox(runtime, owner, name="Website")
    shop = await make_inbox(runtime, owner, name="Shop")
    alice = await customer_writes(runtime, web_inbox, "v-a", "Hi", name="Alice")
    bob = await customer_writes(runtime, shop, "v-b", "Hello", name="Bob")
    await _api(owner_web, "PATCH", f"/api/v1/conversations/{alice.conversation_id}", {"assignee_id": owner.user_id})
    await _api(owner_web, "PATCH", f"/api/v1/conversations/{bob.conversation_id}", {"labels": ["vip"]})

    def names(html: str) -> set[str]:
        return set(re.findall(r'<span class="conv-name">([^<]*)</span>', html))

    assert names((await owner_web.get("/app/inbox")).text) == {"Alice", "Bob"}
    mine = (await owner_web.get("/app/inbox?view=mine")).text
    assert names(mine) == {"Alice"}
    assert re.search(r'data-view="mine" aria-current="page">Mine <span class="count" data-count="mine">1<', mine)
    assert names((await owner_web.get("/app/inbox?view=unassigned")).text) == {"Bob"}
    assert names((await owner_web.get(f"/app/inbox?inbox={shop}")).text) == {"Bob"}
    assert names((await owner_web.get("/app/inbox?label=VIP")).text) == {"Bob"}
    assert names((await owner_web.get("/app/inbox?q=ali")).text) == {"Alice"}
    assert names((await owner_web.get("/app/inbox?status=resolved")).text) == set()
    # Nonsense in the query string falls back to the defaults instead of failing.
    odd = await owner_web.get('/app/inbox?view=everything&status=nope&inbox=not-an-id&label="x')
    assert odd.status_code == 200 and names(odd.text) == {"Alice", "Bob"}
    assert _boot(odd.text)["filters"] == {"view": "all", "status": "active", "inbox": "", "label": '"x', "q": ""}


async def test_what_each_role_sees(web: Web, owner_web: WebClient, runtime: Runtime) -> None:
    owner = await _account(owner_web)
    inbox_id = await make_inbox(runtime, owner)
    customer = await customer_writes(runtime, inbox_id, "v-1", "Hello", name="Cleo")
    agent, _ = await join_as(web, owner_web, "agent", name="Andy Agent")
    viewer, _ = await join_as(web, owner_web, "viewer", name="Vic Viewer")

    home = await owner_web.get("/app")
    assert 'href="/app/inbox"' in home.text and 'href="/app/team"' in home.text

    agent_page = await agent.get(f"/app/inbox/{customer.conversation_id}")
    assert agent_page.status_code == 200
    boot = _boot(agent_page.text)
    assert boot["can"]["reply"] and boot["can"]["manage"]
    assert {a["name"] for a in boot["agents"]} == {"Ann Owner", "Andy Agent"}  # viewers are not assignable
    assert 'href="/app/team"' not in agent_page.text
    assert (await agent.get("/app/team")).status_code == 403

    viewer_page = await viewer.get(f"/app/inbox/{customer.conversation_id}")
    assert viewer_page.status_code == 200
    boot = _boot(viewer_page.text)
    assert boot["can"] == {"reply": False, "manage": False, "contacts_write": False, "contacts_read": True}
    assert 'id="presence"' not in viewer_page.text  # viewers take no conversations
    assert "Cleo" in viewer_page.text
    assert (await viewer.get("/app/team")).status_code == 403

    canned = await viewer.get("/app/settings/canned-responses")
    assert canned.status_code == 200 and "Add a canned response" not in canned.text
    r = await viewer.post("/app/settings/canned-responses", {"shortcut": "sneaky", "content": "No"})
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "sneaky" not in (await owner_web.get("/app/settings/canned-responses")).text


async def test_other_organizations_conversations_are_not_found(
    web: Web, owner_web: WebClient, runtime: Runtime
) -> None:
    owner = await _account(owner_web)
    theirs = await customer_writes(runtime, await make_inbox(runtime, owner), "v-9", "Private", name="Secret Sam")
    stranger = await web()
    await stranger.register(org="Globex", name="Gil Globex")
    r = await stranger.get(f"/app/inbox/{theirs.conversation_id}")
    assert r.status_code == 404 and "Secret Sam" not in r.text
    assert "Secret Sam" not in (await stranger.get("/app/inbox")).text
    bad = await stranger.get("/app/inbox/not-an-id")
    assert bad.status_code == 404 and bad.headers["content-type"].startswith("text/html")


async def test_canned_responses_can_be_added_changed_and_deleted(owner_web: WebClient) -> None:
    page = await owner_web.get("/app/settings/canned-responses")
    assert page.status_code == 200
    assert 'href="/app/settings/canned-responses" aria-current="page"' in page.text  # in the settings menu
    assert "No canned responses yet." in page.text
    r = await owner_web.post(
        "/app/settings/canned-responses", {"shortcut": "/Refund", "content": "We refund in 5 days."}
    )
    assert r.status_code == 303
    page = await owner_web.get("/app/settings/canned-responses")
    assert "/refund was saved" in page.text and "<code>/refund</code>" in page.text
    again = await owner_web.post("/app/settings/canned-responses", {"shortcut": "refund", "content": "Other"})
    assert again.status_code == 409 and "/refund is already a canned response." in again.text
    assert 'value="refund"' in again.text  # the form keeps what was typed
    bad = await owner_web.post("/app/settings/canned-responses", {"shortcut": "no spaces!", "content": ""})
    assert bad.status_code == 422
    assert "Use letters, digits, - and _" in bad.text and 'aria-invalid="true"' in bad.text

    listed = await owner_web.get("/api/v1/canned-responses?prefix=/ref")
    (row,) = listed.json()
    r = await owner_web.post(
        f"/app/settings/canned-responses/{row['id']}", {"shortcut": "refunds", "content": "Refunds take <5 days>."}
    )
    assert r.status_code == 303
    page = await owner_web.get("/app/settings/canned-responses")
    assert "/refunds was updated" in page.text and "Refunds take &lt;5 days&gt;." in page.text
    r = await owner_web.post(f"/app/settings/canned-responses/{row['id']}/delete")
    assert r.status_code == 303
    page = await owner_web.get("/app/settings/canned-responses")
    assert "was deleted" in page.text and "No canned responses yet." in page.text
    missing = await owner_web.post(f"/app/settings/canned-responses/{row['id']}/delete")
    assert missing.status_code == 404


async def test_team_page_shows_presence_and_working_hours(web: Web, owner_web: WebClient) -> None:
    agent, _ = await join_as(web, owner_web, "agent", name="Andy Agent")
    await _api(agent, "PUT", "/api/v1/agents/me/presence", {"status": "online", "availability": "busy"})
    page = await owner_web.get("/app/team")
    assert page.status_code == 200
    row = re.search(r'<tr data-user="[^"]+">\s*<th scope="row">Andy Agent.*?</tr>', page.text, re.S)
    assert row and "Online · busy" in row.group(0)
    owner_row = re.search(r'<tr data-user="[^"]+">\s*<th scope="row">Ann Owner.*?</tr>', page.text, re.S)
    assert owner_row and "Offline" in owner_row.group(0)
    assert "Andy Agent</th>" in page.text.split('id="hours-heading"')[1]  # a shift is open, so hours count
    csv_link = re.search(r'href="(/api/v1/agents/working-hours\?format=csv[^"]*)"', page.text)
    assert csv_link
    download = await owner_web.get(unescape(csv_link.group(1)))
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert "Andy Agent" in download.text
    ranged = await owner_web.get("/app/team?from=2024-01-01&to=2024-01-07")
    assert ranged.status_code == 200 and "2024-01-01 to 2024-01-07" in ranged.text
    assert "Nobody was online in these days." in ranged.text
    bad = await owner_web.get("/app/team?from=yesterday")
    assert bad.status_code == 422 and "Enter the date as YYYY-MM-DD." in bad.text
    backwards = await owner_web.get("/app/team?from=2024-02-01&to=2024-01-01")
    assert backwards.status_code == 422 and "`to` is before `from`." in backwards.text


async def test_the_script_can_renew_its_session(owner_web: WebClient) -> None:
    owner_web.http.cookies.delete("fd_access")
    assert (await owner_web.get("/api/v1/conversations")).status_code == 401
    r = await owner_web.get("/app/inbox/session")
    assert r.status_code == 204
    assert "fd_access=" in r.headers.get("set-cookie", "")
    assert owner_web.http.cookies.get("fd_access")
    assert (await owner_web.get("/api/v1/conversations")).status_code == 200
