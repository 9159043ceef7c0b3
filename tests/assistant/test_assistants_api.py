"""Assistants CRUD, instruction layers with versions and restore, through the API and the pages."""

from __future__ import annotations

import httpx

from tests.assistant.core_helpers import ok
from tests.conftest import Account, join
from tests.web.conftest import WebClient, web  # noqa: F401 - the fixture


async def test_assistant_crud_and_permissions(client: httpx.AsyncClient, owner: Account) -> None:
    made = await ok(
        await client.post(
            "/api/v1/assistants",
            headers=owner.headers,
            json={
                "name": "Sales",
                "instructions": "Be brief.",
                "tools": ["search_knowledge"],
                "confidence_threshold": 0.7,
            },
        ),
        201,
    )
    assert made["provider"] == "local" and made["tools"] == ["search_knowledge"]
    dup = await client.post("/api/v1/assistants", headers=owner.headers, json={"name": "sales"})
    assert dup.status_code == 409 and dup.json()["code"] == "assistant_name_taken"
    bad = await client.post("/api/v1/assistants", headers=owner.headers, json={"name": "X", "tools": ["rm_rf"]})
    assert bad.status_code == 422
    foreign = await client.post(
        "/api/v1/assistants",
        headers=owner.headers,
        json={"name": "Y", "inbox_ids": ["01a21044-cfd5-7835-9d66-09be3976cc64"]},
    )
    assert foreign.status_code == 422 and foreign.json()["code"] == "invalid_inbox"
    agent = await join(client, owner, "agent")
    listed = await ok(await client.get("/api/v1/assistants", headers=agent.headers))
    assert [a["name"] for a in listed] == ["Sales"]
    refused = await client.patch(f"/api/v1/assistants/{made['id']}", headers=agent.headers, json={"name": "Mine"})
    assert refused.status_code == 403
    changed = await ok(
        await client.patch(f"/api/v1/assistants/{made['id']}", headers=owner.headers, json={"temperature": 0.9})
    )
    assert changed["temperature"] == 0.9 and changed["name"] == "Sales"
    assert (await client.delete(f"/api/v1/assistants/{made['id']}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"/api/v1/assistants/{made['id']}", headers=owner.headers)).status_code == 404


async def test_instruction_versions_keep_who_and_when_and_restore(client: httpx.AsyncClient, owner: Account) -> None:
    made = await ok(
        await client.post("/api/v1/assistants", headers=owner.headers, json={"name": "Desk", "instructions": "v1"}),
        201,
    )
    url = f"/api/v1/assistants/{made['id']}"
    await ok(await client.patch(url, headers=owner.headers, json={"instructions": "v2"}))
    await ok(await client.put(f"{url}/instructions", headers=owner.headers, json={"text": "v3"}))
    layer = await ok(await client.get(f"{url}/instructions", headers=owner.headers))
    assert layer["text"] == "v3"
    assert [(v["version"], v["text"]) for v in layer["versions"]] == [(3, "v3"), (2, "v2"), (1, "v1")]
    assert all(v["created_by_name"] for v in layer["versions"])
    restored = await ok(await client.post(f"{url}/instructions/versions/1/restore", headers=owner.headers))
    assert restored["text"] == "v1" and restored["versions"][0]["restored_from"] == 1
    assert (await ok(await client.get(url, headers=owner.headers)))["instructions"] == "v1"
    missing = await client.post(f"{url}/instructions/versions/99/restore", headers=owner.headers)
    assert missing.status_code == 404
    org = await ok(
        await client.put(
            "/api/v1/assistant-instructions/organization", headers=owner.headers, json={"text": "Be kind."}
        )
    )
    assert org["versions"][0]["version"] == 1
    same = await ok(
        await client.put(
            "/api/v1/assistant-instructions/organization", headers=owner.headers, json={"text": "Be kind."}
        )
    )
    assert len(same["versions"]) == 1  # an unchanged text is no new version


async def test_assistant_pages_edit_and_restore(client: httpx.AsyncClient, web) -> None:  # noqa: F811
    browser: WebClient = await web()
    await browser.register(org="Pages")
    r = await browser.post("/app/assistants", {"name": "Helper"})
    assert r.status_code == 303, r.text
    edit_url = r.headers["location"]
    r = await browser.post(
        edit_url,
        {
            "name": "Helper",
            "description": "",
            "instructions": "First <b>text</b>",
            "confidence_threshold": "0.6",
            "tools": "search_knowledge",
            "enabled": "on",
        },
    )
    assert r.status_code == 303, r.text
    r = await browser.post(edit_url, {"name": "Helper", "instructions": "Second text", "enabled": "on"})
    assert r.status_code == 303
    page = await browser.get(edit_url)
    assert "Version 2" in page.text and "First &lt;b&gt;text&lt;/b&gt;" in page.text
    r = await browser.post(f"{edit_url}/versions/1/restore")
    assert r.status_code == 303
    page = await browser.get(edit_url)
    assert "restored from version 1" in page.text
    listing = await browser.get("/app/assistants")
    assert "Helper" in listing.text
