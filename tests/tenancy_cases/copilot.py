"""Copilot drafts, the playground, the staff assistant and staff file uploads in the tenancy walk."""

from __future__ import annotations

from typing import Any

import httpx

from tests.test_tenancy import Case, World, _create, _ok, seeder

DRAFTS = "/api/v1/conversations/{conversation_id}/drafts"
PLAY = "/api/v1/playground"
# A body the route could not parse is refused before the id is looked at; still nothing of A's shows.
UNPARSED = frozenset({403, 404, 422})

CASES: list[Case] = [
    Case("GET", DRAFTS),
    Case("POST", DRAFTS),
    Case("GET", DRAFTS + "/{draft_id}"),
    Case("PATCH", DRAFTS + "/{draft_id}", body=lambda w: {"content": "rewritten by b"}),
    Case("POST", DRAFTS + "/{draft_id}/approve", body=lambda w: {"content": "sent by b"}),
    Case("POST", DRAFTS + "/{draft_id}/reject", body=lambda w: {"reason": "b says no"}),
    Case("POST", DRAFTS + "/{draft_id}/revise", body=lambda w: {"instruction": "shorter"}),
    Case("POST", "/api/v1/conversations/{conversation_id}/assist/suggest"),
    Case("POST", "/api/v1/conversations/{conversation_id}/assist/summary"),
    Case("POST", "/api/v1/conversations/{conversation_id}/assist/improve", body=lambda w: {"text": "hello"}),
    Case("GET", "/api/v1/copilot/drafts"),
    Case("GET", "/api/v1/copilot/stats"),
    Case("POST", "/api/v1/conversations/{conversation_id}/attachments", expect=UNPARSED),
    # ---- the playground
    Case("POST", f"{PLAY}/run", body=lambda w: {"turns": [{"role": "customer", "text": "hello"}]}),
    Case("GET", f"{PLAY}/cases"),
    Case("POST", f"{PLAY}/cases", body=lambda w: {"name": "b case", "turns": [{"role": "customer", "text": "hi"}]}),
    Case("GET", f"{PLAY}/cases/export", query=lambda w: {"format": "csv"}),
    Case("POST", f"{PLAY}/cases/import", body=lambda w: {"cases": []}),
    Case("GET", f"{PLAY}/cases/{{case_id}}"),
    Case("PATCH", f"{PLAY}/cases/{{case_id}}", body=lambda w: {"name": "renamed by b"}),
    Case("DELETE", f"{PLAY}/cases/{{case_id}}"),
    Case("POST", f"{PLAY}/runs", body=lambda w: {"case_ids": [w.ids["playground_case"]]}, expect=frozenset({404})),
    Case("GET", f"{PLAY}/runs"),
    Case("GET", f"{PLAY}/runs/{{run_id}}"),
    Case("GET", f"{PLAY}/conversations/{{conversation_id}}/export"),
    # ---- the staff assistant (B asks about its own organization only)
    Case("GET", "/api/v1/staff-assistant"),
    Case("POST", "/api/v1/staff-assistant/ask", body=lambda w: {"question": "How many conversations per day?"}),
    # ---- pages
    Case("GET", "/app/playground", kind="page"),
    Case("GET", "/app/copilot/review", kind="page"),
    Case("GET", "/app/staff-assistant", kind="page"),
    Case("POST", "/app/staff-assistant", kind="form", body=lambda w: {"question": "Which inboxes do we have?"}),
]

PARAMS = {
    "draft_id": lambda w: w.ids["copilot_draft"],
    "case_id": lambda w: w.ids["playground_case"],
    "run_id": lambda w: w.ids["playground_run"],
}


@seeder("POST", DRAFTS)
async def seed_copilot_draft(client: httpx.AsyncClient, w: World) -> None:
    draft = await _create(client, DRAFTS.format(conversation_id=w.ids["conversation"]), w.a.headers, None)
    w.ids["copilot_draft"] = draft["id"]
    w.keep(draft["id"])
    w.intact.append((DRAFTS.format(conversation_id=w.ids["conversation"]) + f"/{draft['id']}", '"status":"pending"'))


@seeder("POST", f"{PLAY}/cases")
async def seed_playground_case(client: httpx.AsyncClient, w: World) -> None:
    body: dict[str, Any] = {
        "name": f"Alpha Case {w.tag}",
        "turns": [{"role": "customer", "text": f"Alpha playground question {w.tag}"}],
        "expected_contains": [f"alpha-expect-{w.tag}"],
    }
    case = await _create(client, f"{PLAY}/cases", w.a.headers, body)
    run = await _ok(await client.post(f"{PLAY}/runs", headers=w.a.headers, json={"case_ids": [case["id"]]}), 202)
    w.ids |= {"playground_case": case["id"], "playground_run": run["id"]}
    w.keep(case["id"], run["id"], body["name"], body["turns"][0]["text"], f"alpha-expect-{w.tag}")
    w.intact.append((f"{PLAY}/cases/{case['id']}", body["name"]))
