"""The agent inbox over HTTP: listing and its filters, unread counts, the sidebar counts, and the
timeline with its catch-up cursor."""

from __future__ import annotations

import httpx

from frontdesk.kit.runtime import Runtime
from tests.conftest import Account, join
from tests.conversations.helpers import customer_writes, make_inbox


def ids(page: dict) -> set[str]:
    return {item["id"] for item in page["items"]}


async def test_filters_unread_counts_and_sidebar(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    agent = await join(client, owner, "agent")
    web = await make_inbox(runtime, owner, name="Website")
    shop = await make_inbox(runtime, owner, name="Shop")
    alice = await customer_writes(runtime, web, "v-alice", "My order is late", name="Alice Smith", email="alice@a.test")
    bob = await customer_writes(runtime, web, "v-bob", "Do you ship to Oslo?", name="Bob", email="bob@b-corp.test")
    carol = await customer_writes(runtime, shop, "v-carol", "Thanks!", name="Carol")

    async def patch(conv: str, body: dict) -> dict:
        r = await client.patch(f"/api/v1/conversations/{conv}", headers=owner.headers, json=body)
        assert r.status_code == 200, r.text
        return r.json()

    await patch(alice.conversation_id, {"assignee_id": agent.user_id})
    labelled = await patch(bob.conversation_id, {"labels": ["VIP", " billing ", "vip"], "priority": "high"})
    assert labelled["labels"] == ["billing", "vip"] and labelled["priority"] == "high"
    await patch(carol.conversation_id, {"status": "resolved"})

    async def listing(who: Account, **params: object) -> dict:
        r = await client.get("/api/v1/conversations", headers=who.headers, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    everything = await listing(owner)
    assert everything["total"] == 3
    assert ids(await listing(agent, assignee="me")) == {alice.conversation_id}
    assert ids(await listing(owner, assignee="me")) == set()
    assert ids(await listing(owner, assignee=agent.user_id)) == {alice.conversation_id}
    assert ids(await listing(owner, assignee="unassigned")) == {bob.conversation_id, carol.conversation_id}
    assert ids(await listing(owner, status="resolved")) == {carol.conversation_id}
    assert ids(await listing(owner, status=["open", "pending"])) == {alice.conversation_id, bob.conversation_id}
    assert ids(await listing(owner, inbox_id=shop)) == {carol.conversation_id}
    assert ids(await listing(owner, label="VIP")) == {bob.conversation_id}
    assert ids(await listing(owner, label="vi")) == set()
    assert ids(await listing(owner, q="smith")) == {alice.conversation_id}
    assert ids(await listing(owner, q="b-corp")) == {bob.conversation_id}
    assert ids(await listing(owner, q="100%_")) == set()
    paged = await listing(owner, per_page=2, page=2)
    assert (paged["total"], paged["pages"], len(paged["items"])) == (3, 2, 1)

    item = next(i for i in (await listing(agent, assignee="me"))["items"])
    assert item["contact_name"] == "Alice Smith" and item["contact_email"] == "alice@a.test"
    assert item["assignee_name"] == "Agent" and item["status"] == "open" and item["mode"] == "human"
    assert item["unread_count"] == 1
    # The preview is the newest message the customer can see (the system's handoff notice here).
    assert item["last_message"]["sender_type"] == "system"

    await customer_writes(runtime, web, "v-alice", "Hello??")
    item = (await listing(agent, assignee="me"))["items"][0]
    assert item["unread_count"] == 2
    assert item["last_message"]["content"] == "Hello??" and item["last_message"]["direction"] == "in"
    r = await client.post(f"/api/v1/conversations/{alice.conversation_id}/read", headers=agent.headers)
    assert r.status_code == 204
    assert (await listing(agent, assignee="me"))["items"][0]["unread_count"] == 0
    # Reading is per person: the owner has still read nothing.
    owner_view = {i["id"]: i["unread_count"] for i in (await listing(owner))["items"]}
    assert owner_view[alice.conversation_id] == 2
    await customer_writes(runtime, web, "v-alice", "Anyone?")
    assert (await listing(agent, assignee="me"))["items"][0]["unread_count"] == 1

    r = await client.get("/api/v1/conversations/counts", headers=agent.headers)
    assert r.status_code == 200, r.text
    counts = r.json()
    assert counts["mine"] == {"bot": 0, "pending": 0, "open": 1, "snoozed": 0, "resolved": 0}
    assert counts["unassigned"] == {"bot": 0, "pending": 1, "open": 0, "snoozed": 0, "resolved": 1}
    assert counts["all"] == {"bot": 0, "pending": 1, "open": 1, "snoozed": 0, "resolved": 1}
    shop_counts = (
        await client.get("/api/v1/conversations/counts", headers=agent.headers, params={"inbox_id": shop})
    ).json()
    assert shop_counts["all"]["resolved"] == 1 and shop_counts["all"]["open"] == 0

    detail = (await client.get(f"/api/v1/conversations/{alice.conversation_id}", headers=agent.headers)).json()
    assert detail["contact"]["name"] == "Alice Smith" and detail["inbox"] == {
        "id": web,
        "name": "Website",
        "channel": "web",
    }
    assert detail["csat"] is None and detail["unread_count"] == 1

    bad = await client.get("/api/v1/conversations", headers=owner.headers, params={"assignee": "someone"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_assignee_filter"
    bad = await client.get("/api/v1/conversations", headers=owner.headers, params={"status": "closed"})
    assert bad.status_code == 422


async def test_timeline_pages_oldest_first_and_catches_up(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account
) -> None:
    inbox = await make_inbox(runtime, owner)
    first = await customer_writes(runtime, inbox, "v1", "one")
    for text in ("two", "three"):
        await customer_writes(runtime, inbox, "v1", text)
    conv = first.conversation_id
    note = await client.post(
        f"/api/v1/conversations/{conv}/messages",
        headers=owner.headers,
        json={"content": "VIP, be nice", "private": True},
    )
    assert note.status_code == 201, note.text
    url = f"/api/v1/conversations/{conv}/messages"

    seen: list[dict] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"after": cursor} if cursor else {})}
        page = (await client.get(url, headers=owner.headers, params=params)).json()
        if not page["items"]:
            assert page["next_cursor"] == cursor  # nothing new: keep the same place
            break
        seen += page["items"]
        cursor = page["next_cursor"]
        assert cursor == page["items"][-1]["cursor"]
    contents = [m["content"] for m in seen if m["sender_type"] != "system"]
    assert contents == ["one", "two", "three", "VIP, be nice"]
    assert seen[-1]["private"] is True

    # Catch-up: what arrives later is exactly what follows the last cursor.
    await customer_writes(runtime, inbox, "v1", "four")
    later = (await client.get(url, headers=owner.headers, params={"after": cursor})).json()
    assert [m["content"] for m in later["items"]] == ["four"]

    tail = (await client.get(url, headers=owner.headers, params={"latest": True, "limit": 2})).json()
    assert [m["content"] for m in tail["items"]] == ["VIP, be nice", "four"]
    assert tail["next_cursor"] == later["next_cursor"]

    bad = await client.get(url, headers=owner.headers, params={"after": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"
    assert (await client.get(url, headers=owner.headers, params={"limit": 500})).status_code == 422
