"""Tenancy-walk entries of the leads domain: leads, settings, exports and reports, the lead pages,
and (once the app registers them) conversation transcripts, retention and purges."""

from __future__ import annotations

from typing import Any

import httpx

from tests.test_tenancy import Case, World, _create, _ok, seeder


def _transcripts_registered() -> bool:
    from frontdesk.app import _routers

    return any(getattr(route, "path", "") == "/api/v1/conversation-retention" for r in _routers() for route in r.routes)


def _lead_body(w: World) -> dict[str, Any]:
    return {"name": "b lead", "email": "b-lead@example.com"}


CASES: list[Case] = [
    # ---- the API
    Case("GET", "/api/v1/leads", query=lambda w: {"q": f"Alpha Lead {w.tag}"}),
    Case("POST", "/api/v1/leads", body=_lead_body),
    Case("GET", "/api/v1/leads/followups", query=lambda w: {"within_hours": 744}),
    Case("GET", "/api/v1/leads/{lead_id}"),
    Case("PATCH", "/api/v1/leads/{lead_id}", body=lambda w: {"status": "won", "name": "renamed by b"}),
    Case("DELETE", "/api/v1/leads/{lead_id}"),
    Case("POST", "/api/v1/conversations/{conversation_id}/lead-extraction", body=lambda w: {"apply": True}),
    Case("GET", "/api/v1/lead-settings"),
    Case("PATCH", "/api/v1/lead-settings", body=lambda w: {"report_time": "07:00"}),
    Case("POST", "/api/v1/lead-exports", body=lambda w: {"format": "csv", "q": f"Alpha Lead {w.tag}"}),
    Case("GET", "/api/v1/lead-exports"),
    Case("GET", "/api/v1/lead-exports/{export_id}"),
    Case("GET", "/api/v1/lead-exports/{export_id}/download"),
    Case("GET", "/api/v1/lead-reports"),
    Case("POST", "/api/v1/lead-reports"),
    # ---- pages
    Case("GET", "/app/leads", kind="page", query=lambda w: {"q": f"Alpha Lead {w.tag}"}),
    Case("GET", "/app/leads/table", kind="page", query=lambda w: {"q": f"Alpha Lead {w.tag}"}),
    Case("POST", "/app/leads", kind="form", body=lambda w: {"name": "b page lead"}),
    Case("GET", "/app/leads/{lead_id}", kind="page"),
    Case("POST", "/app/leads/{lead_id}", kind="form", body=lambda w: {"name": "renamed by b", "status": "won"}),
    Case("POST", "/app/leads/{lead_id}/status", kind="form", body=lambda w: {"status": "lost"}),
    Case("POST", "/app/leads/{lead_id}/extract", kind="form"),
    Case("POST", "/app/leads/{lead_id}/delete", kind="form"),
    Case("GET", "/app/leads/exports", kind="page"),
    Case("POST", "/app/leads/exports", kind="form", body=lambda w: {"format": "xlsx"}),
    Case("GET", "/app/leads/reports", kind="page"),
    Case("POST", "/app/leads/reports", kind="form"),
    Case("POST", "/app/leads/reports/schedule", kind="form", body=lambda w: {"time": "08:00"}),
    Case("GET", "/app/leads/settings", kind="page"),
    Case("POST", "/app/leads/settings", kind="form", body=lambda w: {"statuses": "new: New\nwon: Won\nlost: Lost"}),
    Case("GET", "/app/conversation-logs", kind="page"),
    Case("POST", "/app/conversation-logs/retention", kind="form", body=lambda w: {"days": "36500"}),
    Case("POST", "/app/conversation-logs/purge", kind="form", expect=frozenset({303, 400, 409, 422})),
]

if _transcripts_registered():
    CASES += [
        Case("GET", "/api/v1/conversations/{conversation_id}/transcript", query=lambda w: {"format": "json"}),
        Case("GET", "/api/v1/conversation-retention"),
        Case("PUT", "/api/v1/conversation-retention", body=lambda w: {"retention_days": 36500}),
        Case("POST", "/api/v1/conversation-purges", expect=frozenset({202, 409, 422})),
        Case("GET", "/api/v1/conversation-purges"),
        Case("GET", "/api/v1/conversation-purges/{purge_id}"),
    ]

PARAMS = {
    "lead_id": lambda w: w.ids["lead"],
    "export_id": lambda w: w.ids["lead_export"],
    "purge_id": lambda w: w.ids.get("conversation_purge", w.ids["lead_export"]),
}


@seeder("POST", "/api/v1/leads")
async def seed_lead(client: httpx.AsyncClient, w: World) -> None:
    body = {
        "name": f"Alpha Lead {w.tag}",
        "email": f"alpha-lead-{w.tag}@example.com",
        "company": f"Alpha Company {w.tag}",
        "need": f"Alpha need {w.tag}",
        "conversation_id": w.ids.get("conversation"),
        "contact_id": w.ids.get("contact"),
        "next_follow_up_at": "2020-01-01T00:00:00Z",
    }
    lead = await _create(client, "/api/v1/leads", w.a.headers, {k: v for k, v in body.items() if v})
    w.ids["lead"] = lead["id"]
    w.keep(lead["id"], body["name"], body["email"], body["company"], body["need"])
    w.intact.append((f"/api/v1/leads/{lead['id']}", body["company"]))


@seeder("POST", "/api/v1/lead-exports")
async def seed_lead_export(client: httpx.AsyncClient, w: World) -> None:
    r = await client.post("/api/v1/lead-exports", headers=w.a.headers, json={"format": "csv"})
    export = await _ok(r, 202)
    w.ids["lead_export"] = export["id"]
    w.keep(export["id"], export["filename"])
    w.intact.append((f"/api/v1/lead-exports/{export['id']}", export["filename"]))


@seeder("POST", "/api/v1/conversation-purges")
async def seed_conversation_purge(client: httpx.AsyncClient, w: World) -> None:
    await _ok(await client.put("/api/v1/conversation-retention", headers=w.a.headers, json={"retention_days": 36500}))
    purge = await _ok(await client.post("/api/v1/conversation-purges", headers=w.a.headers), 202)
    w.ids["conversation_purge"] = purge["id"]
    w.keep(purge["id"])
