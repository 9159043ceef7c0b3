"""Another organization's conversations, messages and canned responses answer 404 to every route,
and never show up in its lists, counts or reports."""

from __future__ import annotations

import httpx

from frontdesk.kit.runtime import Runtime
from tests.conftest import Account
from tests.conversations.helpers import customer_writes, make_inbox


async def test_other_organization_sees_nothing(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, other_owner: Account
) -> None:
    inbox = await make_inbox(runtime, owner)
    customer = await customer_writes(runtime, inbox, "v1", "secret order 4471", name="Alice Secret")
    conv = customer.conversation_id
    reply = await client.post(f"/api/v1/conversations/{conv}/messages", headers=owner.headers, json={"content": "ok"})
    message = reply.json()["id"]
    canned = (
        await client.post("/api/v1/canned-responses", headers=owner.headers, json={"shortcut": "s", "content": "x"})
    ).json()["id"]

    b = other_owner.headers
    calls = [
        ("GET", f"/api/v1/conversations/{conv}", None),
        ("PATCH", f"/api/v1/conversations/{conv}", {"status": "resolved"}),
        ("PATCH", f"/api/v1/conversations/{conv}", {"assignee_id": other_owner.user_id}),
        ("GET", f"/api/v1/conversations/{conv}/messages", None),
        ("POST", f"/api/v1/conversations/{conv}/messages", {"content": "hijack"}),
        ("POST", f"/api/v1/conversations/{conv}/take-over", None),
        ("POST", f"/api/v1/conversations/{conv}/hand-back", None),
        ("POST", f"/api/v1/conversations/{conv}/escalate", {"reason": "x"}),
        ("POST", f"/api/v1/conversations/{conv}/read", None),
        ("PATCH", f"/api/v1/messages/{message}", {"content": "hijack"}),
        ("DELETE", f"/api/v1/messages/{message}", None),
        ("PATCH", f"/api/v1/canned-responses/{canned}", {"content": "hijack"}),
        ("DELETE", f"/api/v1/canned-responses/{canned}", None),
    ]
    for method, url, body in calls:
        r = await client.request(method, url, headers=b, json=body)
        assert r.status_code == 404, (method, url, r.status_code, r.text)
        assert "Alice" not in r.text

    listed = (await client.get("/api/v1/conversations", headers=b)).json()
    assert listed["total"] == 0
    assert (await client.get("/api/v1/conversations", headers=b, params={"inbox_id": inbox})).json()["total"] == 0
    counts = (await client.get("/api/v1/conversations/counts", headers=b, params={"inbox_id": inbox})).json()
    assert sum(counts["all"].values()) == 0
    assert (await client.get("/api/v1/canned-responses", headers=b)).json() == []

    # Nothing of A's changed.
    detail = (await client.get(f"/api/v1/conversations/{conv}", headers=owner.headers)).json()
    assert (detail["status"], detail["assignee_id"]) == ("open", owner.user_id)
    timeline = (await client.get(f"/api/v1/conversations/{conv}/messages", headers=owner.headers)).json()["items"]
    assert [m["content"] for m in timeline if m["sender_type"] == "agent"] == ["ok"]
