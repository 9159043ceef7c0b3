"""The playground over HTTP: simulate, edit and delete with re-runs, save test cases, batch runs
with a report, import and export, dry-run tools, permissions and tenancy."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from frontdesk.app import create_app
from frontdesk.config import Settings
from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import Conversation
from frontdesk.kit.clock import Clock
from frontdesk.kit.runtime import Runtime
from tests.assistant.copilot_fixtures import add_article, add_routes, sign_in_browser
from tests.conftest import Account, join
from tests.conversations.helpers import customer_writes, make_inbox


@pytest.fixture
async def app(settings: Settings, clock: Clock | None) -> Any:
    application = create_app(settings, clock=clock)
    add_routes(application)
    async with application.router.lifespan_context(application):
        yield application


async def _knowledge(client: httpx.AsyncClient, owner: Account) -> None:
    await add_article(
        client,
        owner,
        "Opening hours",
        "We are open from 9:00 to 17:00, Monday to Friday.",
        ["What are your opening hours?", "When are you open?", "What time do you open?"],
    )


async def _play(client: httpx.AsyncClient, owner: Account, turns: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/playground/run", headers=owner.headers, json={"turns": turns, **extra})
    assert r.status_code == 200, r.text
    return r.json()


async def _counts(runtime: Runtime) -> tuple[int, int]:
    async with runtime.sessionmaker() as session:
        conversations = await session.scalar(select(func.count()).select_from(Conversation))
        contacts = await session.scalar(select(func.count()).select_from(Contact))
        return int(conversations or 0), int(contacts or 0)


async def test_simulate_edit_and_delete(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    await _knowledge(client, owner)
    before = await _counts(runtime)
    out = await _play(client, owner, [{"role": "customer", "text": "What are your opening hours?"}])
    assert [t["role"] for t in out["turns"]] == ["customer", "assistant"]
    answer = out["turns"][1]
    for key in ("intent", "confidence", "escalate", "sources", "tool_calls", "model"):
        assert key in answer["ai"], key
    assert answer["text"]

    # A second customer message: only it is answered; the first answer is kept as it was.
    turns = [*out["turns"], {"role": "customer", "text": "My email is jo@example.com, I want to talk to a human"}]
    out2 = await _play(client, owner, turns)
    assert len(out2["turns"]) == 4 and out2["turns"][1] == answer
    assert out2["turns"][3]["ai"]["escalate"] is True

    # Edit the first message: everything from it on is answered again, the old answers replaced.
    edited = [dict(t) for t in out2["turns"]]
    edited[0]["text"] = "hello there"
    out3 = await _play(client, owner, edited, rerun_from=0)
    assert [t["role"] for t in out3["turns"]] == ["customer", "assistant", "customer", "assistant"]
    assert out3["turns"][0]["text"] == "hello there"
    assert out3["turns"][1]["text"] != answer["text"]

    # Delete the first exchange (both messages): the rest is answered again on its own.
    rest = out3["turns"][2:]
    out4 = await _play(client, owner, rest, rerun_from=0)
    assert [t["role"] for t in out4["turns"]] == ["customer", "assistant"]

    # A dry run: the playground made no conversation or contact, whatever tools it used.
    assert await _counts(runtime) == before


async def test_save_cases_and_batch_report(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    await _knowledge(client, owner)
    out = await _play(client, owner, [{"role": "customer", "text": "What are your opening hours?"}])
    real = out["turns"][1]
    good = {
        "name": "hours",
        "turns": out["turns"],
        "expected_intent": real["ai"]["intent"],
        "expected_contains": [real["text"].split()[0]],
        "expected_escalate": real["ai"]["escalate"],
    }
    r = await client.post("/api/v1/playground/cases", headers=owner.headers, json=good)
    assert r.status_code == 201, r.text
    good_id = r.json()["id"]
    bad = {**good, "name": "wrong on purpose", "expected_contains": ["flamingo"], "expected_escalate": None}
    r = await client.post("/api/v1/playground/cases", headers=owner.headers, json=bad)
    bad_id = r.json()["id"]
    r = await client.post(
        "/api/v1/playground/cases",
        headers=owner.headers,
        json={**good, "name": "x", "turns": [{"role": "assistant", "text": "hi"}]},
    )
    assert r.status_code == 422 and r.json()["code"] == "case_without_customer"

    r = await client.post("/api/v1/playground/runs", headers=owner.headers, json={})
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    assert r.json()["total"] == 2
    run: dict[str, Any] = {}
    for _ in range(300):
        run = (await client.get(f"/api/v1/playground/runs/{run_id}", headers=owner.headers)).json()
        if run["status"] == "done":
            break
        await asyncio.sleep(0.05)
    assert run["status"] == "done", run
    assert (run["done"], run["passed"], run["failed"]) == (2, 1, 1)
    by_case = {r["case_id"]: r for r in run["results"]}
    assert by_case[good_id]["passed"] is True
    failed = by_case[bad_id]
    assert failed["passed"] is False
    assert [c for c in failed["checks"] if not c["passed"]] == [
        {"check": "contains", "expected": "flamingo", "actual": False, "passed": False}
    ]
    cases = (await client.get("/api/v1/playground/cases", headers=owner.headers)).json()
    assert {c["name"]: c["last_result"]["passed"] for c in cases} == {"hours": True, "wrong on purpose": False}

    # Fix the case: the next run passes it.
    r = await client.patch(f"/api/v1/playground/cases/{bad_id}", headers=owner.headers, json={"expected_contains": []})
    assert r.status_code == 200
    r = await client.delete(f"/api/v1/playground/cases/{good_id}", headers=owner.headers)
    assert r.status_code == 204
    assert (await client.get(f"/api/v1/playground/cases/{good_id}", headers=owner.headers)).status_code == 404


async def test_export_and_import(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    case: dict[str, Any] = {
        "name": "=cmd|evil",
        "turns": [{"role": "customer", "text": "Hello, are you open on Sunday?"}, {"role": "assistant", "text": "No."}],
        "expected_intent": "opening_hours",
        "expected_contains": ["closed", "Sunday"],
        "expected_escalate": False,
    }
    assert (await client.post("/api/v1/playground/cases", headers=owner.headers, json=case)).status_code == 201
    r = await client.get("/api/v1/playground/cases/export?format=json", headers=owner.headers)
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    exported = r.json()["cases"]
    assert exported == [case]
    r = await client.get("/api/v1/playground/cases/export?format=csv", headers=owner.headers)
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["role"] for row in rows] == ["customer", "assistant"]
    assert rows[0]["case"] == "'=cmd|evil", "a formula-looking cell is defused"
    assert rows[0]["expected_contains"] == "closed | Sunday" and rows[0]["expected_escalate"] == "no"

    # Round trip: CSV back in gives the same case; a broken row is reported, the rest imported.
    broken = r.text + "second,1,robot,hi,,,\nsecond,2,customer,Where are you?,,,maybe\n"
    r2 = await client.post(
        "/api/v1/playground/cases/import", headers=owner.headers, files={"file": ("cases.csv", broken, "text/csv")}
    )
    assert r2.status_code == 200, r2.text
    report = r2.json()
    assert report["created"] == 2
    assert {e.get("row") for e in report["errors"]} == {4, 5}
    imported = next(c for c in report["cases"] if c["name"] == "=cmd|evil")
    assert [t["text"] for t in imported["turns"]] == [t["text"] for t in case["turns"]]
    assert imported["expected_contains"] == ["closed", "Sunday"] and imported["expected_escalate"] is False

    body = json.dumps({"cases": [case, {"name": "", "turns": []}]})
    r3 = await client.post(
        "/api/v1/playground/cases/import",
        headers=owner.headers,
        files={"file": ("cases.json", body, "application/json")},
    )
    assert r3.status_code == 200 and r3.json()["created"] == 1 and len(r3.json()["errors"]) == 1
    r5 = await client.post(
        "/api/v1/playground/cases/import",
        headers={**owner.headers, "Content-Type": "application/json"},
        content=json.dumps({"cases": [{**case, "name": "from a body"}]}),
    )
    assert r5.status_code == 200, r5.text
    assert [c["name"] for c in r5.json()["cases"]] == ["from a body"]
    r4 = await client.post(
        "/api/v1/playground/cases/import",
        headers=owner.headers,
        files={"file": ("x.json", "not json", "application/json")},
    )
    assert r4.status_code == 422 and r4.json()["code"] == "import_invalid_json"


async def test_export_a_real_conversation(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    inbox_id = await make_inbox(runtime, owner)
    customer = await customer_writes(runtime, inbox_id, f"v-{uuid.uuid4().hex[:6]}", "Do you ship to Norway?")
    r = await client.get(
        f"/api/v1/playground/conversations/{customer.conversation_id}/export?format=json", headers=owner.headers
    )
    assert r.status_code == 200, r.text
    [case] = r.json()["cases"]
    assert case["turns"][0] == {"role": "customer", "text": "Do you ship to Norway?"}
    r = await client.post("/api/v1/playground/cases", headers=owner.headers, json=case)
    assert r.status_code == 201


async def test_only_managers_and_only_their_org(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, other_owner: Account
) -> None:
    case = {"name": "c", "turns": [{"role": "customer", "text": "hi"}]}
    case_id = (await client.post("/api/v1/playground/cases", headers=owner.headers, json=case)).json()["id"]
    run_id = (await client.post("/api/v1/playground/runs", headers=owner.headers, json={})).json()["id"]
    agent = await join(client, owner, "agent")
    r = await client.post("/api/v1/playground/run", headers=agent.headers, json={"turns": case["turns"]})
    assert r.status_code == 403
    assert (await client.get("/api/v1/playground/cases", headers=agent.headers)).status_code == 403
    for method, path in [
        ("GET", f"/api/v1/playground/cases/{case_id}"),
        ("PATCH", f"/api/v1/playground/cases/{case_id}"),
        ("DELETE", f"/api/v1/playground/cases/{case_id}"),
        ("GET", f"/api/v1/playground/runs/{run_id}"),
    ]:
        r = await client.request(
            method, path, headers=other_owner.headers, json={"name": "x"} if method == "PATCH" else None
        )
        assert r.status_code == 404, (method, path)
    assert (await client.get("/api/v1/playground/cases", headers=other_owner.headers)).json() == []
    r = await client.post("/api/v1/playground/runs", headers=other_owner.headers, json={"case_ids": [case_id]})
    assert r.status_code == 404
    r = await client.post(
        "/api/v1/playground/run",
        headers=other_owner.headers,
        json={"assistant_id": str(uuid.uuid4()), "turns": case["turns"]},
    )
    assert r.status_code == 404


async def test_playground_page(client: httpx.AsyncClient, runtime: Runtime, owner: Account) -> None:
    await client.post(
        "/api/v1/playground/cases",
        headers=owner.headers,
        json={"name": "Saved <b>case</b>", "turns": [{"role": "customer", "text": "hi"}]},
    )
    await sign_in_browser(client, owner)
    r = await client.get("/app/playground")
    assert r.status_code == 200, r.text
    assert "Simulated conversation" in r.text and "Saved &lt;b&gt;case&lt;/b&gt;" in r.text
    assert "playground.js" in r.text
