"""The WhatsApp setup page: callback URL, write-only secrets, live check, templates, roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from frontdesk.channels.whatsapp.sandbox import Sandbox
from tests.conftest import sign_up
from tests.web.conftest import WebClient, join_as

Web = Callable[[], Awaitable[WebClient]]


async def test_setup_page_connects_a_number(web: Web, client: httpx.AsyncClient, graph: Sandbox) -> None:
    owner = await sign_up(client, org="Acme")
    browser = await web()
    await browser.login(owner.email)
    r = await browser.post("/app/settings/inboxes", {"name": "WhatsApp", "channel": "whatsapp"})
    assert r.status_code == 303, r.text
    inbox_id = r.headers["location"].split("/")[4]
    page_url = f"/app/settings/inboxes/{inbox_id}/whatsapp"
    page = await browser.get(page_url)
    assert page.status_code == 200
    assert "http://testserver/api/v1/channels/whatsapp/webhook" in page.text

    saved = await browser.post(
        page_url,
        {
            "phone_number_id": graph.phone_number_id,
            "waba_id": graph.waba_id,
            "access_token": graph.access_token,
            "app_secret": graph.app_secret,
            "verify_token": "a-long-verify-token",
            "opt_out_keywords": "STOP, arrêt",
            "opt_in_keywords": "START",
        },
    )
    assert saved.status_code == 303, saved.text
    page = await browser.get(page_url)
    assert graph.access_token not in page.text and graph.app_secret not in page.text
    assert "a-long-verify-token" in page.text and "ARRÊT" in page.text

    checked = await browser.post(page_url + "/check")
    assert checked.status_code == 200 and "Connected: Frontdesk Sandbox" in checked.text
    synced = await browser.post(page_url + "/templates")
    assert synced.status_code == 303
    page = await browser.get(page_url)
    assert "order_update" in page.text and "APPROVED" in page.text

    short = await browser.post(page_url, {"verify_token": "short"})
    assert short.status_code == 422 and "at least 8" in short.text

    viewer, _ = await join_as(web, browser, "viewer")
    assert (await viewer.get(page_url)).status_code == 200
    assert (await viewer.post(page_url, {"waba_id": "x"})).status_code == 403
