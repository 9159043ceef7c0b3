"""The lead pages through a browser's eyes: board with a keyboard move, table with filters, one lead
edited with history, exports, reports, pipeline settings and conversation logs, with CSRF and roles."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import httpx

from tests.web.conftest import WebClient, join_as, owner_web, web  # noqa: F401  (fixtures)

Browser = Callable[[], Awaitable[WebClient]]


def _lead_id(location: str) -> str:
    found = re.search(r"/app/leads/([0-9a-f-]{36})$", location)
    assert found, location
    return found.group(1)


async def test_board_table_and_detail(owner_web: WebClient) -> None:  # noqa: F811
    r = await owner_web.post(
        "/app/leads",
        {"name": "Uma <b>Board</b>", "email": "uma@example.com", "phone": "12345", "company": "Umbrella"},
    )
    assert r.status_code == 303, r.text
    lead_id = _lead_id(r.headers["location"])
    page = await owner_web.get(r.headers["location"])
    assert page.status_code == 200
    assert "Uma &lt;b&gt;Board&lt;/b&gt;" in page.text
    assert "Phone was not saved" in page.text  # reported, not stored

    board = await owner_web.get("/app/leads")
    assert board.status_code == 200
    assert "data-lead-board" in board.text and f'data-lead-id="{lead_id}"' in board.text
    assert "js/leads-board.js" in board.text
    for label in ("New", "Contacted", "Qualified", "Follow up", "Won", "Lost"):
        assert f">{label} <span" in board.text

    # The keyboard alternative to dragging: the card's own form.
    r = await owner_web.post(f"/app/leads/{lead_id}/status", {"status": "qualified", "next": "/app/leads"})
    assert r.status_code == 303 and r.headers["location"] == "/app/leads"
    table = await owner_web.get("/app/leads/table", params={"status": "qualified", "q": "umbrella"})
    assert "Uma &lt;b&gt;Board&lt;/b&gt;" in table.text and "1 lead" in table.text
    empty = await owner_web.get("/app/leads/table", params={"status": "lost"})
    assert "No leads match." in empty.text

    r = await owner_web.post(
        f"/app/leads/{lead_id}",
        {"name": "", "company": "Umbrella Corp", "status": "won", "owner_id": "", "score": "70", "notes": "Signed",
         "next_follow_up_at": "2030-01-02T09:30"},
    )  # fmt: skip
    assert r.status_code == 303, r.text
    detail = await owner_web.get(f"/app/leads/{lead_id}")
    assert 'value="Umbrella Corp"' in detail.text
    assert "Uma &lt;b&gt;Board&lt;/b&gt;" in detail.text  # an empty field left the name alone
    assert 'value="2030-01-02T09:30"' in detail.text
    assert "Signed" in detail.text
    assert detail.text.count("<tr>") >= 4  # history rows

    r = await owner_web.post(f"/app/leads/{lead_id}/status", {"status": "won"}, csrf=False)
    assert r.status_code == 403
    r = await owner_web.post(f"/app/leads/{lead_id}/delete")
    assert r.status_code == 303
    assert (await owner_web.get(f"/app/leads/{lead_id}")).status_code == 404


async def test_exports_reports_settings_and_logs_pages(owner_web: WebClient) -> None:  # noqa: F811
    await owner_web.post("/app/leads", {"name": "Val", "email": "val@example.com"})
    r = await owner_web.post("/app/leads/exports", {"format": "csv", "status": "new"})
    assert r.status_code == 303
    page = await owner_web.get("/app/leads/exports")
    assert page.status_code == 200 and "data-export-progress" in page.text and ".csv" in page.text

    r = await owner_web.post(
        "/app/leads/reports/schedule", {"enabled": "on", "time": "07:15", "recipients": "a@example.com"}
    )
    assert r.status_code == 303
    reports = await owner_web.get("/app/leads/reports")
    assert "Runs every day at 07:15" in reports.text
    assert (await owner_web.post("/app/leads/reports")).status_code == 303

    r = await owner_web.post(
        "/app/leads/settings", {"statuses": "new: Fresh\ndeal: In a deal\nclosed: Closed", "renames": "", "flow": "on"}
    )
    assert r.status_code == 303
    settings = await owner_web.get("/app/leads/settings")
    assert "deal: In a deal" in settings.text
    board = await owner_web.get("/app/leads")
    assert ">In a deal <span" in board.text

    logs = await owner_web.get("/app/conversation-logs")
    assert logs.status_code == 200 and "kept forever" in logs.text
    assert (await owner_web.post("/app/conversation-logs/retention", {"days": "90"})).status_code == 303
    logs = await owner_web.get("/app/conversation-logs")
    assert "more than 90 days" in logs.text
    assert (await owner_web.post("/app/conversation-logs/purge")).status_code == 303
    logs = await owner_web.get("/app/conversation-logs")
    assert "<progress" in logs.text


async def test_viewer_sees_but_cannot_change(owner_web: WebClient, web: Browser) -> None:  # noqa: F811
    r = await owner_web.post("/app/leads", {"name": "Wes"})
    lead_id = _lead_id(r.headers["location"])
    viewer, _ = await join_as(web, owner_web, "viewer")
    board = await viewer.get("/app/leads")
    assert board.status_code == 200 and "Wes" in board.text
    assert 'draggable="true"' not in board.text and "lead-move" not in board.text
    assert (await viewer.post(f"/app/leads/{lead_id}/status", {"status": "won"})).status_code == 403
    assert (await viewer.post("/app/leads/settings", {"statuses": "a: A"})).status_code == 403
    assert (await viewer.get("/app/leads/exports")).status_code == 403
    anonymous = httpx.URL("/app/leads")
    assert anonymous.path == "/app/leads"
