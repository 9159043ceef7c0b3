"""Exports through the API, read back: xlsx with openpyxl cell by cell (header, widths, filter, dates
as dates, injection neutralised) and CSV with the csv module; filtered exports; progress; tenancy."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import openpyxl
import pytest

from frontdesk.kit.clock import FrozenClock
from frontdesk.leads.writers import COLUMNS
from tests.conftest import Account
from tests.conversations.helpers import eventually

START = datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
INJECTIONS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tTabbed"]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_minutes": 60 * 24, "lead_export_batch_size": 7}


async def _export(client: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/lead-exports", headers=account.headers, json=body)
    assert r.status_code == 202, r.text
    export = r.json()
    assert export["status"] == "pending" and export["download_url"] is None
    state: dict[str, Any] = {}

    async def finished() -> bool:
        got = await client.get(f"/api/v1/lead-exports/{export['id']}", headers=account.headers)
        state.update(got.json())
        return state["status"] in ("done", "failed")

    await eventually(finished, timeout=30)
    assert state["status"] == "done", state
    return state


async def _seed(client: httpx.AsyncClient, owner: Account, clock: FrozenClock) -> list[dict[str, Any]]:
    leads = []
    for n in range(20):
        company = INJECTIONS[n % len(INJECTIONS)] if n < len(INJECTIONS) else f"Company {n}"
        body = {
            "name": f"Person {n:02d}",
            "email": f"person{n}@example.com",
            "phone": f"+4915100000{n:02d}",
            "company": company,
            "need": "=cmd|' /C calc'!A0" if n == 7 else f"need {n}",
            "status": "won" if n % 4 == 0 else "new",
            "next_follow_up_at": (START + timedelta(days=n)).isoformat() if n % 2 else None,
        }
        r = await client.post("/api/v1/leads", headers=owner.headers, json={k: v for k, v in body.items() if v})
        assert r.status_code == 201, r.text
        leads.append(r.json())
        clock.advance(minutes=1)
    return leads


async def test_xlsx_export_reads_back_cell_by_cell(
    client: httpx.AsyncClient, owner: Account, clock: FrozenClock
) -> None:
    await client.patch("/api/v1/organization", headers=owner.headers, json={"timezone": "Europe/Berlin"})
    leads = await _seed(client, owner, clock)
    export = await _export(client, owner, format="xlsx")
    assert (export["total_rows"], export["done_rows"], export["progress"]) == (20, 20, 1.0)
    assert export["filename"].endswith(".xlsx")
    r = await client.get(export["download_url"], headers=owner.headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    sheet = book["Leads"]
    headers = [c.value for c in sheet[1]]
    assert headers == [c.header for c in COLUMNS]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.auto_filter.ref == f"A1:P{len(leads) + 1}"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width == pytest.approx(30, abs=1)
    assert sheet.max_row == len(leads) + 1
    col = {c.key: i for i, c in enumerate(COLUMNS)}
    berlin_offset = timedelta(hours=2)  # CEST in June
    for row_number, lead in enumerate(leads, start=2):  # oldest first
        cells = sheet[row_number]
        assert cells[col["name"]].value == lead["name"]
        assert cells[col["email"]].value == lead["email"]
        assert cells[col["phone"]].value == lead["phone"]
        assert cells[col["phone"]].data_type == "s"
        assert cells[col["company"]].value == lead["company"]
        assert cells[col["company"]].data_type == "s"  # never a formula
        assert cells[col["need"]].value == lead["need"]
        assert cells[col["need"]].data_type == "s"
        assert cells[col["status"]].value == ("Won" if lead["status"] == "won" else "New")
        assert cells[col["score"]].value == lead["score"]
        assert cells[col["source"]].value == "api"
        assert cells[col["id"]].value == lead["id"]
        created = cells[col["created_at"]]
        assert isinstance(created.value, datetime)  # a real date cell, not text
        assert created.is_date and created.number_format == "yyyy-mm-dd hh:mm"
        expected = datetime.fromisoformat(lead["created_at"]).astimezone(UTC) + berlin_offset
        assert created.value == expected.replace(tzinfo=None, microsecond=0)
        follow = cells[col["next_follow_up_at"]].value
        if lead["next_follow_up_at"]:
            assert follow == (datetime.fromisoformat(lead["next_follow_up_at"]) + berlin_offset).replace(tzinfo=None)
        else:
            assert follow is None
        text = str(cells[col["company"]].value)
        if text.startswith(("=", "+", "-", "@", "\t")):
            assert cells[col["company"]].quotePrefix is True
    formulas = [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


async def test_csv_export_neutralises_injection_and_filters(
    client: httpx.AsyncClient, owner: Account, clock: FrozenClock
) -> None:
    leads = await _seed(client, owner, clock)
    export = await _export(client, owner, format="csv", statuses=["won"])
    r = await client.get(export["download_url"], headers=owner.headers)
    assert r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [c.header for c in COLUMNS]
    won = [lead for lead in leads if lead["status"] == "won"]
    assert len(rows) - 1 == len(won) == export["total_rows"]
    col = {c.key: i for i, c in enumerate(COLUMNS)}
    for row, lead in zip(rows[1:], won, strict=True):
        assert row[col["name"]] == lead["name"]
        assert row[col["phone"]] == "'" + lead["phone"]  # starts with +: neutralised
        company = lead["company"]
        assert row[col["company"]] == ("'" + company if company[0] in "=+-@\t" else company)
        assert datetime.fromisoformat(row[col["created_at"]]) == datetime.fromisoformat(lead["created_at"]).replace(
            microsecond=0
        )
    for row in rows[1:]:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
    searched = await _export(client, owner, format="csv", q="person 07")
    body = (await client.get(searched["download_url"], headers=owner.headers)).content.decode("utf-8-sig")
    found = list(csv.reader(io.StringIO(body)))
    assert len(found) == 2 and found[1][col["need"]] == "'=cmd|' /C calc'!A0"


async def test_exports_are_listed_and_private_to_the_organization(
    client: httpx.AsyncClient, owner: Account, other_owner: Account, clock: FrozenClock
) -> None:
    await _seed(client, owner, clock)
    export = await _export(client, owner, format="csv")
    listed = (await client.get("/api/v1/lead-exports", headers=owner.headers)).json()
    assert [e["id"] for e in listed["items"]] == [export["id"]]
    assert (await client.get(f"/api/v1/lead-exports/{export['id']}", headers=other_owner.headers)).status_code == 404
    r = await client.get(f"/api/v1/lead-exports/{export['id']}/download", headers=other_owner.headers)
    assert r.status_code == 404
    assert (await client.get("/api/v1/lead-exports", headers=other_owner.headers)).json()["total"] == 0
    empty = await _export(client, other_owner, format="xlsx")
    assert empty["total_rows"] == 0
    content = (await client.get(empty["download_url"], headers=other_owner.headers)).content
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Leads"]
    assert sheet.max_row == 1
    bad = await client.post(
        "/api/v1/lead-exports",
        headers=owner.headers,
        json={"created_from": START.isoformat(), "created_to": (START - timedelta(days=1)).isoformat()},
    )
    assert bad.status_code == 422
