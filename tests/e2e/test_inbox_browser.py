"""A visitor on the widget and an agent in the inbox talk live, in two real Chromium contexts.

The same exchange then runs with the widget on one ``frontdesk serve`` process and the inbox on
another, sharing PostgreSQL and Redis, as behind a load balancer.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Response, async_playwright, expect

from frontdesk.kit.runtime import Runtime
from tests.conftest import PG_ADMIN, REDIS_URL, Account, sign_up
from tests.conversations.helpers import customer_writes, join_named, make_inbox
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.kit.processes import Proc, frontdesk_env, spawn_server, wait_healthy

XSS = "<img src=x onerror=alert(1)>"
SHOT_WIDE = "/tmp/inbox.png"
SHOT_PHONE = "/tmp/inbox-375.png"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Unlike the other browser tests, this one runs on both databases: the inbox's live path differs."""
    return str(request.param)


async def _setup(http: httpx.AsyncClient, owner: Account) -> tuple[Account, str]:
    """An agent, a web inbox made through the API, and a canned response, as an admin would set them up."""
    agent = await join_named(http, owner, "agent", "Dana Reyes")
    r = await http.post(
        "/api/v1/inboxes",
        headers=owner.headers,
        json={"name": "Northwind Bakery", "channel": "web", "greeting": "Hello! Ask us anything."},
    )
    assert r.status_code == 201, r.text
    token = r.json()["public_token"]
    r = await http.post(
        "/api/v1/canned-responses",
        headers=owner.headers,
        json={"shortcut": "ship", "content": "We deliver every weekday morning."},
    )
    assert r.status_code == 201, r.text
    return agent, token


class Watch:
    """Page errors, console errors (a CSP violation, a broken module) and failed requests, checked at the end."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def attach(self, page: Page, name: str) -> None:
        page.on("pageerror", lambda e: self.problems.append(f"{name}: {e}"))

        def console(message: ConsoleMessage) -> None:
            # Failed requests are judged below, where their address is known; a socket cut while the
            # test ends is noise, not a fault of the page.
            text = message.text
            if message.type == "error" and "Failed to load resource" not in text and "WebSocket" not in text:
                self.problems.append(f"{name}: {text}")

        def response(r: Response) -> None:
            # Browsers ask for /favicon.ico on their own; the widget's demo page has none.
            if r.status >= 400 and not r.url.endswith("/favicon.ico"):
                self.problems.append(f"{name}: {r.status} {r.request.method} {r.url}")

        page.on("console", console)
        page.on("response", response)


async def _sign_in(browser: Browser, base: str, agent: Account, watch: Watch, *, init_script: str = "") -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 820})
    if init_script:
        await context.add_init_script(init_script)
    page = await context.new_page()
    page.set_default_timeout(10_000)
    watch.attach(page, "agent")
    page.on("dialog", lambda d: asyncio.ensure_future(d.accept()))
    await page.goto(f"{base}/login?next=/app/inbox")
    await page.get_by_label("Email").fill(agent.email)
    await page.get_by_label("Password").fill(agent.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
    await expect(page.locator("#main")).to_have_attribute("data-connection", "live")
    return page


async def _open_widget(browser: Browser, base: str, token: str, watch: Watch) -> Page:
    context = await browser.new_context(viewport={"width": 390, "height": 760})
    page = await context.new_page()
    page.set_default_timeout(10_000)
    watch.attach(page, "visitor")
    await page.goto(f"{base}/widget/demo?inbox={token}")
    await page.get_by_role("button", name="Open chat").click()
    await expect(page.get_by_role("log", name="Messages")).to_contain_text("Hello! Ask us anything.")
    await expect(page.locator("#frontdesk-widget")).to_have_attribute("data-connection", "live")
    return page


async def _visitor_says(visitor: Page, text: str) -> None:
    box = visitor.get_by_role("textbox", name="Message")
    await box.fill(text)
    await box.press("Enter")
    await expect(visitor.get_by_role("log", name="Messages").locator(".row.mine .bubble").last).to_have_text(text)


async def _exchange(agent_page: Page, visitor: Page, *, full: bool) -> None:
    """The conversation both tests share; ``full`` adds the inbox features one server needs to prove once."""
    inbox = agent_page
    widget_log = visitor.get_by_role("log", name="Messages")

    await _visitor_says(visitor, "Do you deliver to Oslo?")
    item = inbox.locator("#conv-list .conv-item").first
    await expect(item).to_contain_text("Visitor")
    await expect(inbox.locator("[data-count='all']")).to_have_text("1")
    await item.locator("a").click()
    await expect(inbox).to_have_url(re.compile(r"/app/inbox/[0-9a-f-]{36}$"))
    timeline = inbox.get_by_role("log", name="Messages")
    await expect(timeline.locator(".msg-contact")).to_contain_text("Do you deliver to Oslo?")

    # Live: a second message arrives without a reload; what the visitor typed is text, never markup.
    await _visitor_says(visitor, XSS)
    await expect(timeline.locator(".msg-contact .msg-text").last).to_have_text(XSS)
    assert await timeline.locator("img").count() == 0

    await inbox.get_by_role("button", name="Take over").click()
    await expect(timeline.locator(".msg-system").last).to_contain_text("Dana joined the conversation.")
    await expect(widget_log).to_contain_text("Dana joined the conversation.")
    await expect(inbox.locator(".thread-sub")).to_contain_text("Assigned to you")

    # The visitor types: the agent sees it. The widget tells at most every 3 s, so keep typing until it does.
    box = visitor.get_by_role("textbox", name="Message")
    for attempt in range(16):
        await box.press_sequentially("a")
        try:
            await expect(inbox.locator("#typing")).to_have_text("Visitor is typing…", timeout=400)
            break
        except AssertionError:
            if attempt == 15:
                raise
    await box.fill("")

    await expect(inbox.get_by_role("textbox", name="Reply")).to_be_editable()
    reply = inbox.locator("#reply")  # its label says "Private note" while that is ticked
    if full:
        # A canned response from the autocomplete, then our own words after it.
        await reply.press_sequentially("/sh", delay=30)
        option = inbox.get_by_role("option").filter(has_text="/ship")
        await expect(option).to_be_visible()
        await reply.press("Enter")
        await expect(reply).to_have_value("We deliver every weekday morning.")
        await reply.press_sequentially(" Oslo too!", delay=30)
        answer = "We deliver every weekday morning. Oslo too!"
    else:
        answer = "Yes, we deliver to Oslo."
        await reply.press_sequentially(answer, delay=10)
    # The customer sees the agent's first name only, never their email address.
    await expect(visitor.locator(".typing")).to_have_text("Dana is typing…")
    await reply.press("Enter")
    await expect(timeline.locator(".msg-agent .msg-text").last).to_have_text(answer)
    await expect(widget_log).to_contain_text(answer)
    await expect(reply).to_have_value("")

    if full:
        # A private note stays in the inbox; an edit reaches the visitor.
        await inbox.get_by_label("Private note").check()
        await expect(inbox.get_by_role("textbox", name="Private note")).to_be_visible()
        await reply.fill("Regular customer, VIP.")
        await reply.press("Enter")
        await expect(timeline.locator(".msg-note")).to_contain_text("Regular customer, VIP.")
        mine = timeline.locator(".msg-agent").last
        await mine.get_by_role("button", name="Edit this message").click()
        editor = mine.get_by_role("textbox", name="Edit the message")
        await editor.fill("We deliver every weekday morning, Oslo included.")
        await mine.get_by_role("button", name="Save").click()
        await expect(mine).to_contain_text("(edited)")
        await expect(widget_log).to_contain_text("We deliver every weekday morning, Oslo included.")
        # Labels and priority from the side panel show in the list without a reload.
        await inbox.get_by_label("Priority").select_option("high")
        await expect(item).to_contain_text("High")
        await inbox.get_by_role("textbox", name="New label").fill("Delivery")
        await inbox.get_by_role("button", name="Add label").click()
        await expect(item.locator(".label")).to_have_text("delivery")
        # Keyboard: leave the reply box, then "e" resolves.
        await reply.focus()
        await reply.press("Escape")
        await inbox.keyboard.press("e")
    else:
        await inbox.get_by_role("button", name="Resolve").click()
    await expect(inbox.locator(".thread-badges .conv-status")).to_have_text("Resolved")

    await expect(visitor.get_by_role("radiogroup", name="Rating from 1 to 5")).to_be_visible()
    await visitor.get_by_role("radio", name="5 out of 5").click()
    await visitor.get_by_role("button", name="Send rating").click()
    await expect(visitor.get_by_text("Thank you for your feedback!")).to_be_visible()
    await expect(inbox.locator(".thread-sub")).to_contain_text("Rated 5 out of 5")

    await visitor.reload()
    await visitor.get_by_role("button", name="Open chat").click()
    for text in ("Do you deliver to Oslo?", "Dana joined the conversation.", XSS):
        await expect(widget_log).to_contain_text(text)
    await expect(widget_log).to_contain_text("Oslo")
    await expect(widget_log).not_to_contain_text("VIP")


@pytest.mark.browser
async def test_agent_and_visitor_talk_live(client: httpx.AsyncClient, owner: Account, live_server: str) -> None:
    agent, token = await _setup(client, owner)
    watch = Watch()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            inbox = await _sign_in(browser, live_server, agent, watch)
            # Online but busy: present, and not handed conversations automatically, so taking over is explicit.
            await inbox.get_by_role("button", name="Offline").click()
            await expect(inbox.locator("#presence-toggle")).to_have_attribute("aria-pressed", "true")
            await inbox.get_by_label("Availability").select_option("busy")
            await expect(inbox.locator("#presence")).to_have_attribute("data-status", "busy")
            assert await _presence_of(client, owner, "Dana Reyes") == ("online", "busy")
            await inbox.keyboard.press("?")
            await expect(inbox.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
            await inbox.keyboard.press("Escape")
            await expect(inbox.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()

            visitor = await _open_widget(browser, live_server, token, watch)
            await _exchange(inbox, visitor, full=True)

            await inbox.screenshot(path=SHOT_WIDE)
            # On a phone the list and the conversation are one pane at a time.
            await inbox.set_viewport_size({"width": 375, "height": 740})
            await expect(inbox.get_by_role("log", name="Messages")).to_be_visible()
            await expect(inbox.locator("#conv-list")).to_be_hidden()
            await expect(inbox.locator("#side")).to_be_hidden()  # a drawer now, closed
            await inbox.screenshot(path=SHOT_PHONE)
            await inbox.get_by_role("button", name="Details", exact=True).click()
            await expect(inbox.locator("#side")).to_be_visible()
            await inbox.get_by_role("button", name="Close details").click()
            await inbox.get_by_role("button", name="← All conversations").click()
            await expect(inbox.locator("#conv-list")).to_be_visible()
            await expect(inbox).to_have_url(re.compile(r"/app/inbox$"))
        finally:
            await browser.close()
    assert watch.problems == []
    # Closing the inbox closed its socket, and with it the agent's shift.
    for _ in range(100):
        if await _presence_of(client, owner, "Dana Reyes") == ("offline", "busy"):
            break
        await asyncio.sleep(0.05)
    assert await _presence_of(client, owner, "Dana Reyes") == ("offline", "busy")


async def _presence_of(http: httpx.AsyncClient, owner: Account, name: str) -> tuple[str, str]:
    r = await http.get("/api/v1/agents/presence", headers=owner.headers)
    assert r.status_code == 200, r.text
    person = next(p for p in r.json() if p["name"] == name)
    return person["status"], person["availability"]


# Lets the test cut the inbox's socket and keep it down for a while, like a network outage.
SOCKET_SWITCH = """
(() => {
  const Real = window.WebSocket;
  window.__sockets = [];
  window.__socketsDown = false;
  window.WebSocket = class extends Real {
    constructor(url, ...rest) {
      super(window.__socketsDown ? String(url).replace("/realtime", "/realtime-down") : url, ...rest);
      window.__sockets.push(this);
    }
  };
})();
"""


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"])  # the page's own tools; the live path runs on both above
async def test_inbox_tools_and_catching_up_after_an_outage(
    client: httpx.AsyncClient, owner: Account, runtime: Runtime, live_server: str
) -> None:
    helper = await join_named(client, owner, "agent", "Ben Helper")
    r = await client.post("/api/v1/teams", headers=owner.headers, json={"name": "Billing"})
    assert r.status_code == 201, r.text
    inbox_id = await make_inbox(runtime, owner, name="Website")
    first = await customer_writes(runtime, inbox_id, "v-alice", "My last order was fine", name="Alice Ames")
    r = await client.patch(
        f"/api/v1/conversations/{first.conversation_id}", headers=owner.headers, json={"status": "resolved"}
    )
    assert r.status_code == 200, r.text
    bob = await customer_writes(runtime, inbox_id, "v-bob", "Refund please", name="Bob Burns")
    cara = await customer_writes(runtime, inbox_id, "v-cara", "Hello there", name="Cara Cole")
    alice = await customer_writes(runtime, inbox_id, "v-alice", "Where is my new order?", name="Alice Ames")
    owner_login = Account(owner.email, owner.password, owner.user_id, owner.organization_id, "", "")

    watch = Watch()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            inbox = await _sign_in(browser, live_server, owner_login, watch, init_script=SOCKET_SWITCH)
            items = inbox.locator("#conv-list .conv-item")
            await expect(items).to_have_count(3)
            await expect(items.locator(".conv-name")).to_have_text(["Alice Ames", "Cara Cole", "Bob Burns"])
            thread_title = inbox.locator("#thread-title")

            # j and k walk the list.
            await inbox.keyboard.press("j")
            await expect(thread_title).to_have_text("Alice Ames")
            await expect(inbox).to_have_url(re.compile(f"/app/inbox/{alice.conversation_id}$"))
            await inbox.keyboard.press("j")
            await expect(thread_title).to_have_text("Cara Cole")
            await inbox.keyboard.press("k")
            await expect(thread_title).to_have_text("Alice Ames")

            # The contact's earlier conversation, and back with the browser's own Back button.
            side = inbox.locator("#side")
            earlier = side.locator(".history a")
            await expect(earlier).to_have_count(1)
            await earlier.click()
            await expect(inbox).to_have_url(re.compile(f"/app/inbox/{first.conversation_id}$"))
            await expect(inbox.get_by_role("log", name="Messages")).to_contain_text("My last order was fine")
            await expect(inbox.get_by_role("button", name="Reopen")).to_be_visible()
            await inbox.go_back()
            await expect(inbox.get_by_role("log", name="Messages")).to_contain_text("Where is my new order?")

            # Contact attributes: add, change, remove.
            await side.get_by_text("Add an attribute").click()
            await side.get_by_label("Key").fill("plan")
            await side.get_by_label("Value").fill("gold")
            await side.get_by_role("button", name="Add attribute").click()
            plan = side.locator(".attr[data-key='plan'] .attr-value")
            await expect(plan).to_have_text("gold")
            await side.get_by_role("button", name="Edit plan").click()
            await side.get_by_label("New value of plan").fill("platinum")
            await side.get_by_role("button", name="Save").click()
            await expect(plan).to_have_text("platinum")
            await side.get_by_role("button", name="Remove plan").click()
            await expect(side).to_contain_text("No attributes yet.")

            # Transfer to a colleague and a team, then snooze.
            await side.get_by_label("Assignee").select_option(helper.user_id)
            alice_row = items.filter(has_text="Alice Ames")
            await expect(alice_row.locator(".conv-assignee")).to_have_text("Ben Helper")
            await side.get_by_label("Team").select_option(label="Billing")
            await expect(side.get_by_label("Team")).to_have_value(re.compile("[0-9a-f-]{36}"))
            await side.get_by_role("button", name="In 1 hour").click()
            await side.get_by_role("button", name="Snooze", exact=True).click()
            await expect(inbox.locator(".thread-badges .conv-status")).to_have_text("Snoozed")
            await expect(items).to_have_count(2)  # "Needs a person" no longer shows it

            # Filters: every status, search, whose.
            await inbox.get_by_label("Status").select_option("all")
            await expect(items).to_have_count(4)
            await inbox.get_by_role("searchbox", name="Search").fill("bob")
            await expect(items).to_have_count(1)
            await expect(inbox).to_have_url(re.compile(r"q=bob"))
            await inbox.get_by_role("searchbox", name="Search").fill("")
            await inbox.get_by_role("link", name=re.compile("^Mine")).click()
            await expect(inbox.locator("#conv-list")).to_contain_text("No conversations match these filters.")
            await inbox.get_by_role("link", name=re.compile("^All")).click()
            await expect(items).to_have_count(4)

            # Hand a conversation back to the assistant.
            await items.filter(has_text="Bob Burns").locator("a").click()
            await expect(thread_title).to_have_text("Bob Burns")
            await inbox.get_by_role("button", name="Hand back to AI").click()
            await expect(inbox.locator(".thread-badges .conv-status")).to_have_text("Assistant")
            await expect(inbox.locator(".thread-banner")).to_contain_text("The assistant is answering")

            # An outage: what happened meanwhile shows up once the socket is back, list and timeline.
            await items.filter(has_text="Cara Cole").locator("a").click()
            timeline = inbox.get_by_role("log", name="Messages")
            await expect(timeline).to_contain_text("Hello there")
            await inbox.evaluate("window.__socketsDown = true; window.__sockets.forEach((s) => s.close())")
            await expect(inbox.locator("#main")).not_to_have_attribute("data-connection", "live")
            await customer_writes(runtime, inbox_id, "v-cara", "Are you still there?", name="Cara Cole")
            await customer_writes(runtime, inbox_id, "v-bob", "Hello again", name="Bob Burns")
            await inbox.wait_for_timeout(300)
            await expect(timeline).not_to_contain_text("Are you still there?")
            await inbox.evaluate("window.__socketsDown = false")
            await expect(inbox.locator("#main")).to_have_attribute("data-connection", "live", timeout=15_000)
            await expect(timeline.locator(".msg-contact .msg-text")).to_have_text(
                ["Hello there", "Are you still there?"]
            )
            # Bob wrote to the assistant, which (with no model yet) asked for a person: back in the queue.
            bob_row = items.filter(has_text="Bob Burns")
            await expect(bob_row.locator(".conv-status")).to_have_text("Waiting")
            await expect(bob_row.locator(".unread")).to_have_text("2 unread")

            # The team page follows presence live.
            await inbox.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
            ben = inbox.locator("#presence-table tr").filter(has_text="Ben Helper").locator("[data-presence]")
            await expect(ben).to_have_text("Offline")
            await expect(inbox.locator("#main")).to_have_attribute("data-connection", "live")
            r = await client.put("/api/v1/agents/me/presence", headers=helper.headers, json={"status": "online"})
            assert r.status_code == 200, r.text
            await expect(ben).to_have_text("Online")
        finally:
            await browser.close()
    assert watch.problems == []
    assert bob.conversation_id and cara.conversation_id


# ---------------------------------------------------------------- two servers


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
async def test_widget_and_inbox_on_different_servers(tmp_path: Path) -> None:
    name = f"fd_inbox_{uuid.uuid4().hex[:12]}"
    env = frontdesk_env(
        tmp_path,
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}",
        redis_url=REDIS_URL,
        job_queue=f"frontdesk:test:{uuid.uuid4().hex}",
        log_level="WARNING",
    )
    await _admin(f'CREATE DATABASE "{name}"')
    procs: list[Proc] = []
    try:
        widget_server = spawn_server("serve-widget", env, tmp_path, "--migrate")
        procs.append(widget_server)
        await wait_healthy(widget_server, timeout=60)
        inbox_server = spawn_server("serve-inbox", env, tmp_path)
        procs.append(inbox_server)
        await wait_healthy(inbox_server)
        async with httpx.AsyncClient(base_url=widget_server.url, timeout=10) as http:
            owner = await sign_up(http, org="Northwind")
            agent, token = await _setup(http, owner)
        watch = Watch()
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                inbox = await _sign_in(browser, inbox_server.url, agent, watch)
                visitor = await _open_widget(browser, widget_server.url, token, watch)
                await _exchange(inbox, visitor, full=False)
            finally:
                await browser.close()
        assert watch.problems == []
        for proc in procs:
            assert proc.alive(), proc.log()[-4000:]
    finally:
        for proc in procs:
            proc.stop()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        import redis.asyncio as aioredis

        redis = aioredis.from_url(REDIS_URL)
        await redis.delete(env["FRONTDESK_JOB_QUEUE"])
        await redis.aclose()
