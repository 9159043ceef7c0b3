"""Export as JSON and CSV, and importing the export back: the same articles, updated in place."""

from __future__ import annotations

import csv
import io
import json

import httpx

from tests.conftest import Account
from tests.knowledge.helpers import API, article, collection, finished, upload


async def _seed(client: httpx.AsyncClient, owner: Account) -> tuple[dict, dict]:
    a = await collection(client, owner, "Alpha", description="first")
    b = await collection(client, owner, "Beta")
    await article(
        client,
        owner,
        a["id"],
        "=cmd|' /C calc'!A0",
        body='Line one\n\nLine "two", with commas',
        tags=["x", "y z"],
        example_questions=["first question?", "second, with comma"],
        source_url="https://example.com/a",
    )
    await article(client, owner, b["id"], "Beta article", body="ünïcødé ✓", example_questions=["β?"])
    return a, b


async def _all(client: httpx.AsyncClient, who: Account) -> list[dict]:
    items = (await client.get(f"{API}/articles", headers=who.headers, params={"per_page": 200})).json()["items"]
    keep = ("id", "collection_id", "title", "body", "tags", "example_questions", "source_url")
    return sorted(({k: i[k] for k in keep} for i in items), key=lambda i: i["title"])


async def test_json_round_trip_updates_in_place(client: httpx.AsyncClient, owner: Account) -> None:
    a, _ = await _seed(client, owner)
    before = await _all(client, owner)
    r = await client.get(f"{API}/export", headers=owner.headers, params={"format": "json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert "attachment" in r.headers["content-disposition"]
    doc = r.json()
    assert doc["format"] == "frontdesk.knowledge/1" and len(doc["articles"]) == 2
    one = await client.get(f"{API}/export", headers=owner.headers, params={"collection_id": a["id"]})
    assert [x["collection"] for x in one.json()["articles"]] == ["Alpha"]

    r = await upload(client, owner, "export.json", r.content)
    done = await finished(client, owner, r.json()["id"])
    assert done["updated_count"] == 2 and done["created_count"] == 0, done
    assert await _all(client, owner) == before


async def test_json_export_into_another_organization_copies(
    client: httpx.AsyncClient, owner: Account, other_owner: Account
) -> None:
    await _seed(client, owner)
    exported = (await client.get(f"{API}/export", headers=owner.headers)).content
    r = await upload(client, other_owner, "export.json", exported)
    done = await finished(client, other_owner, r.json()["id"])
    assert done["created_count"] == 2
    mine = await _all(client, owner)
    theirs = await _all(client, other_owner)
    # Same content, new ids: another organization's ids never update anything of ours.
    assert [t["title"] for t in theirs] == [m["title"] for m in mine]
    assert not {t["id"] for t in theirs} & {m["id"] for m in mine}
    assert await _all(client, owner) == mine


async def test_csv_round_trip(client: httpx.AsyncClient, owner: Account) -> None:
    await _seed(client, owner)
    before = await _all(client, owner)
    r = await client.get(f"{API}/export", headers=owner.headers, params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    risky = next(row for row in rows if "cmd" in row["title"])
    assert risky["title"].startswith("'="), "formula cells are neutralised for spreadsheets"
    r = await upload(client, owner, "export.csv", r.content)
    done = await finished(client, owner, r.json()["id"])
    assert done["updated_count"] == 2 and done["errors"] == [], done
    assert await _all(client, owner) == before


async def test_export_of_another_organizations_collection_is_refused(
    client: httpx.AsyncClient, owner: Account, other_owner: Account
) -> None:
    a, _ = await _seed(client, owner)
    r = await client.get(f"{API}/export", headers=other_owner.headers, params={"collection_id": a["id"]})
    assert r.status_code == 404
    r = await client.get(f"{API}/export", headers=other_owner.headers)
    assert json.loads(r.content)["articles"] == []
