"""The settings area: what each role sees, what it may post, and how problems are shown."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from html.parser import HTMLParser

import httpx

from tests.web.conftest import WebClient, join_as, secret_value

Web = Callable[[], Awaitable[WebClient]]

XSS_ORG = "<script>alert('org')</script>"
XSS_NAME = '<img src=x onerror="alert(1)">'


def _member_id(html: str, name: str) -> str:
    row = re.search(r'<tr id="member-([0-9a-f-]+)">\s*<th scope="row">' + re.escape(name), html)
    assert row, html
    return row.group(1)


async def test_home_and_navigation_follow_the_role(web: Web, owner_web: WebClient) -> None:
    home = await owner_web.get("/app")
    assert home.status_code == 200
    for label in ("Members", "Invitations", "API keys", "Audit log", "Email outbox", "Roles"):
        assert f">{label}</a>" in home.text
    assert 'aria-current="page"' in home.text
    viewer, _ = await join_as(web, owner_web, "viewer", name="Vic Viewer")
    home = await viewer.get("/app")
    assert "<strong>Viewer</strong>" in home.text
    assert ">API keys</a>" not in home.text
    assert ">Audit log</a>" not in home.text
    assert ">Members</a>" in home.text
    r = await viewer.get("/app/settings")
    assert (r.status_code, r.headers["location"]) == (303, "/app/settings/organization")


async def test_viewer_cannot_see_or_post_api_key_forms(web: Web, owner_web: WebClient) -> None:
    viewer, _ = await join_as(web, owner_web, "viewer")
    page = await viewer.get("/app/settings/api-keys")
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "Create key" not in page.text
    assert "Your role does not allow" in page.text
    r = await viewer.post("/app/settings/api-keys", {"name": "sneaky", "scopes": "org.read"})
    assert r.status_code == 403
    keys = await owner_web.get("/app/settings/api-keys")
    assert "sneaky" not in keys.text
    # Other writes are refused server-side too, even though their forms are hidden.
    org = await viewer.get("/app/settings/organization")
    assert "Save changes" not in org.text and "can see these settings but not change them" in org.text
    assert (await viewer.post("/app/settings/organization", {"name": "Mine", "timezone": "UTC"})).status_code == 403
    invites = await viewer.get("/app/settings/invitations")
    assert invites.status_code == 200 and "Send invitation" not in invites.text
    r = await viewer.post("/app/settings/invitations", {"email": "x@example.com", "role": "viewer"})
    assert r.status_code == 403


async def test_api_key_is_shown_once_works_and_can_be_revoked(owner_web: WebClient, client: httpx.AsyncClient) -> None:
    page = await owner_web.get("/app/settings/api-keys")
    assert page.status_code == 200
    assert "<legend>What the key may do</legend>" in page.text
    assert 'value="members.manage"' not in page.text  # never grantable to a key
    empty = await owner_web.post("/app/settings/api-keys", {"name": "No scopes"})
    assert empty.status_code == 422
    assert "Choose at least one thing the key may do." in empty.text
    assert 'value="No scopes"' in empty.text
    r = await owner_web.http.post(
        "/app/settings/api-keys",
        data={
            "csrf_token": owner_web.http.cookies["fd_csrf"],
            "name": "CRM sync",
            "scopes": ["org.read", "members.read"],
        },
    )
    assert r.status_code == 303
    shown = await owner_web.get("/app/settings/api-keys")
    key = secret_value(shown.text)
    assert key is not None and key.startswith("fdk_")
    assert "shown only this once" in shown.text
    assert secret_value((await owner_web.get("/app/settings/api-keys")).text) is None
    api = await client.get("/api/v1/organization", headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 200 and api.json()["name"] == "Acme"
    listed = await owner_web.get("/app/settings/api-keys")
    assert "CRM sync" in listed.text and "2 permissions" in listed.text
    assert listed.text.count("<time") >= 2  # created and last used
    key_id = re.search(r"/app/settings/api-keys/([0-9a-f-]+)/revoke", listed.text)
    assert key_id
    r = await owner_web.post(f"/app/settings/api-keys/{key_id.group(1)}/revoke")
    assert r.status_code == 303
    assert "was revoked" in (await owner_web.get("/app/settings/api-keys")).text
    api = await client.get("/api/v1/organization", headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 401
    missing = await owner_web.post("/app/settings/api-keys/not-an-id/revoke")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")


async def test_invite_revoke_and_outbox(owner_web: WebClient) -> None:
    page = await owner_web.get("/app/settings/invitations")
    assert '<label for="f-email">' in page.text and '<label for="f-role">' in page.text
    bad = await owner_web.post("/app/settings/invitations", {"email": "not an email", "role": "agent"})
    assert bad.status_code == 422 and "not a valid email address" in bad.text
    link = await owner_web.invite("pat@example.com", "agent")
    assert "/accept-invite?token=" in link
    listed = await owner_web.get("/app/settings/invitations")
    assert "pat@example.com" in listed.text and secret_value(listed.text) is None
    outbox = await owner_web.get("/app/settings/outbox")
    assert outbox.status_code == 200
    assert "pat@example.com" in outbox.text
    assert "invited you to Acme on Frontdesk" in outbox.text
    # Whoever reads the outbox must not be able to accept the invitation in the invitee's place.
    token = link.split("token=")[1].split()[0].split('"')[0]
    assert token not in outbox.text and "token=[hidden]" in outbox.text
    inv_id = re.search(r"/app/settings/invitations/([0-9a-f-]+)/revoke", listed.text)
    assert inv_id
    r = await owner_web.post(f"/app/settings/invitations/{inv_id.group(1)}/revoke")
    assert r.status_code == 303
    after = await owner_web.get("/app/settings/invitations")
    assert "its link no longer works" in after.text
    assert "No pending invitations." in after.text
    revoked = await owner_web.get("/app/settings/invitations?status=revoked")
    assert "pat@example.com" in revoked.text


async def test_members_change_role_and_remove(web: Web, owner_web: WebClient) -> None:
    _agent, _ = await join_as(web, owner_web, "agent", name="Andy Agent")
    page = await owner_web.get("/app/settings/members")
    assert '<th scope="col">Role</th>' in page.text
    andy = _member_id(page.text, "Andy Agent")
    assert f'<label class="visually-hidden" for="role-{andy}">Role of Andy Agent</label>' in page.text
    r = await owner_web.post(f"/app/settings/members/{andy}/role", {"role": "admin"})
    assert r.status_code == 303
    page = await owner_web.get("/app/settings/members")
    assert "Andy Agent is now an admin." in page.text
    # The last owner cannot step down: the message appears next to the row, not as JSON.
    ann = _member_id(page.text, "Ann Owner")
    r = await owner_web.post(f"/app/settings/members/{ann}/role", {"role": "viewer"})
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("text/html")
    assert "An organization needs at least one owner." in r.text
    r = await owner_web.post(f"/app/settings/members/{andy}/remove")
    assert r.status_code == 303
    page = await owner_web.get("/app/settings/members")
    assert "Andy Agent was removed" in page.text
    assert 'id="member-' + andy not in page.text


async def test_agent_cannot_manage_members(web: Web, owner_web: WebClient) -> None:
    agent, _ = await join_as(web, owner_web, "agent")
    page = await agent.get("/app/settings/members")
    assert page.status_code == 200
    assert '/role"' not in page.text and "Remove" not in page.text
    owner_row = _member_id(page.text, "Ann Owner")
    r = await agent.post(f"/app/settings/members/{owner_row}/remove")
    assert r.status_code == 403


async def test_organization_settings(owner_web: WebClient) -> None:
    page = await owner_web.get("/app/settings/organization")
    assert '<label for="f-timezone">' in page.text
    bad = await owner_web.post("/app/settings/organization", {"name": "", "timezone": "Nowhere/Nothing"})
    assert bad.status_code == 422
    assert "Use at least 1 characters." in bad.text or "is not a time zone" in bad.text
    r = await owner_web.post("/app/settings/organization", {"name": "Acme Europe", "timezone": "Europe/Paris"})
    assert r.status_code == 303
    page = await owner_web.get("/app/settings/organization")
    assert "settings were saved" in page.text
    assert "<dd>Acme Europe</dd>" in page.text and "<dd>Europe/Paris</dd>" in page.text
    assert "CET" in page.text or "CEST" in page.text  # times are shown in the organization's zone


async def test_roles_matrix_is_an_accessible_table(owner_web: WebClient) -> None:
    page = await owner_web.get("/app/settings/roles")
    assert page.status_code == 200
    text = page.text
    assert "<caption" in text
    for role in ("Owner", "Admin", "Agent", "Viewer"):
        assert re.search(rf'<th scope="col"[^>]*>{role}', text), role
    assert '<th scope="rowgroup"' in text
    assert "Delete the organization and everything in it" in text
    assert '<span class="visually-hidden">Allowed</span>' in text
    assert '<span class="visually-hidden">Not allowed</span>' in text
    assert "(your role)" in text


async def test_audit_log_filters_and_pages(owner_web: WebClient) -> None:
    for n in range(26):
        r = await owner_web.post("/app/settings/organization", {"name": f"Acme {n}", "timezone": "UTC"})
        assert r.status_code == 303
    page = await owner_web.get("/app/settings/audit")
    assert page.status_code == 200
    assert "org.updated" in page.text and "user.registered" not in page.text  # newest first
    assert "Page 1 of 2" in page.text and "Showing 1 to 25 of 27 events" in page.text
    assert 'rel="next"' in page.text
    second = await owner_web.get("/app/settings/audit?page=2")
    assert "user.registered" in second.text and 'rel="prev"' in second.text
    filtered = await owner_web.get("/app/settings/audit?action=user.registered")
    assert "Showing 1 to 1 of 1 event" in filtered.text
    assert "org.updated" not in filtered.text.split("<table")[1]
    prefix = await owner_web.get("/app/settings/audit?action=org.&until=2999-01-01")
    assert "of 26 events" in prefix.text
    bad = await owner_web.get("/app/settings/audit?since=yesterday")
    assert bad.status_code == 422 and "Enter the date as YYYY-MM-DD." in bad.text


async def test_change_password_keeps_this_session(web: Web, owner_web: WebClient) -> None:
    page = await owner_web.get("/app/account")
    email = page.text.split("<dt>Email</dt><dd>")[1].split("</dd>")[0]
    wrong = await owner_web.post(
        "/app/account/password",
        {
            "current_password": "not it at all",
            "new_password": "a new long password",
            "password_confirm": "a new long password",
        },
    )
    assert wrong.status_code == 422 and "The current password is wrong." in wrong.text
    r = await owner_web.post(
        "/app/account/password",
        {
            "current_password": "correct horse battery",
            "new_password": "a new long password",
            "password_confirm": "a new long password",
        },
    )
    assert r.status_code == 303
    page = await owner_web.get("/app/account")
    assert page.status_code == 200 and "Your password was changed." in page.text
    other = await web()
    assert (await other.post("/login", {"email": email, "password": "correct horse battery"})).status_code == 401
    assert (await other.post("/login", {"email": email, "password": "a new long password"})).status_code == 303


async def test_switch_between_organizations(web: Web, owner_web: WebClient) -> None:
    other = await web()
    email = await other.register(org="Globex", name="Gus")
    link = await owner_web.invite(email, "viewer")
    token = httpx.URL(link).params["token"]
    assert (await other.post("/accept-invite", {"token": token})).status_code == 303
    home = await other.get("/app")
    assert '<label for="org-switch">Organization</label>' in home.text
    options = dict(
        (name, value) for value, name in re.findall(r'<option value="([0-9a-f-]+)"[^>]*>([^<]+)</option>', home.text)
    )
    assert set(options) == {"Acme", "Globex"}
    r = await other.post("/app/switch-org", {"organization_id": options["Globex"], "next": "/app/settings/members"})
    assert (r.status_code, r.headers["location"]) == (303, "/app/settings/members")
    assert other.http.cookies["fd_org"] == options["Globex"]
    members = await other.get("/app/settings/members")
    assert "You are now working in Globex." in members.text
    assert "Ann Owner" not in members.text
    r = await other.post("/app/switch-org", {"organization_id": options["Acme"]})
    assert r.headers["location"] == "/app"
    assert "<strong>Viewer</strong>" in (await other.get("/app")).text
    # An organization one does not belong to cannot be picked.
    stranger = await web()
    await stranger.register(org="Initech")
    r = await stranger.post("/app/switch-org", {"organization_id": options["Acme"]})
    assert r.status_code == 404


class _Structure(HTMLParser):
    """Collects what an accessibility check needs: labels, form fields, and table header cells."""

    def __init__(self) -> None:
        super().__init__()
        self.label_for: set[str] = set()
        self.fields: list[dict[str, str | None]] = []
        self.tables = 0
        self.column_headers = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            if "hidden" not in a:
                self.fields.append(a)
        elif tag == "table":
            self.tables += 1
        elif tag == "th" and a.get("scope") == "col":
            self.column_headers += 1


async def test_every_page_escapes_names_labels_fields_and_heads_tables(web: Web) -> None:
    browser = await web()
    await browser.register(org=XSS_ORG, name=XSS_NAME)
    await browser.post("/app/settings/api-keys", {"name": XSS_NAME, "scopes": "org.read"})
    await browser.invite("pat@example.com", "agent")
    paths = (
        "/app",
        "/app/settings/organization",
        "/app/settings/members",
        "/app/settings/invitations",
        "/app/settings/roles",
        "/app/settings/api-keys",
        "/app/settings/audit",
        "/app/settings/outbox",
        "/app/account",
    )
    for path in paths:
        page = await browser.get(path)
        assert page.status_code == 200, path
        assert "<script>alert" not in page.text, path
        assert "<img src=x" not in page.text, path
        assert '<a class="skip-link" href="#main">' in page.text and 'id="main"' in page.text, path
        parsed = _Structure()
        parsed.feed(page.text)
        for field in parsed.fields:
            assert field.get("id") in parsed.label_for or field.get("aria-label"), (path, field)
        if parsed.tables:
            assert parsed.column_headers >= parsed.tables, path
    home = await browser.get("/app")
    assert "&lt;script&gt;alert(&#39;org&#39;)&lt;/script&gt;" in home.text
    members = await browser.get("/app/settings/members")
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in members.text
    for path in ("/login", "/register", "/forgot-password", "/reset-password?token=abcdefghijkl"):
        parsed = _Structure()
        parsed.feed((await (await web()).get(path)).text)
        assert parsed.fields, path
        for field in parsed.fields:
            assert field.get("id") in parsed.label_for, (path, field)
