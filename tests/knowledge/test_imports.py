"""Bulk import of CSV, JSON, Markdown and zips: a durable job with progress and a per-row error report."""

from __future__ import annotations

import io
import json
import zipfile

import httpx

from tests.conftest import Account, join
from tests.knowledge.helpers import API, collection, finished, search, upload

CSV = (
    "Title,Body,Tags,Example questions,Source URL\n"
    'Shipping times,"We ship in **2 days**.","shipping; delivery","How long does shipping take?|When will it arrive?",'
    "https://example.com/ship\n"
    'Warranty,"Two years, everything.",warranty,"Is there a warranty?",\n'
)


def zipped(files: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return buf.getvalue()


async def titles(client: httpx.AsyncClient, who: Account) -> list[str]:
    r = await client.get(f"{API}/articles", headers=who.headers, params={"per_page": 200})
    return sorted(a["title"] for a in r.json()["items"])


async def test_csv_import(client: httpx.AsyncClient, owner: Account) -> None:
    col = await collection(client, owner)
    r = await upload(client, owner, "faq.csv", CSV.encode(), col["id"])
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["total"] == 2 and started["format"] == "csv" and started["status"] == "pending"
    done = await finished(client, owner, started["id"])
    assert done["status"] == "done" and done["done"] == 2 and done["created_count"] == 2 and done["errors"] == []
    assert await titles(client, owner) == ["Shipping times", "Warranty"]
    hit = (await search(client, owner, "when will my parcel arrive"))[0]
    assert hit["title"] == "Shipping times"
    assert hit["tags"] == ["shipping", "delivery"]
    assert hit["example_questions"] == ["How long does shipping take?", "When will it arrive?"]
    assert hit["source_url"] == "https://example.com/ship"


async def test_json_import_with_bad_rows_reports_each(client: httpx.AsyncClient, owner: Account) -> None:
    col = await collection(client, owner)
    items = [
        {"title": "Good one", "body": "fine", "tags": ["a", "b"], "example_questions": ["q1", "q2"]},
        {"title": "", "body": "no title"},
        "not an object",
        {"title": "Bad link", "source_url": "ftp://example.com/x"},
        {"title": "Bad tags", "tags": {"a": 1}},
        {"title": "Long tag", "tags": ["x" * 70]},
        {"title": "Also good", "collection": "Created by import"},
    ]
    r = await upload(client, owner, "faq.json", json.dumps(items).encode(), col["id"])
    assert r.status_code == 202, r.text
    done = await finished(client, owner, r.json()["id"])
    assert done["status"] == "done"
    assert done["created_count"] == 2 and done["failed_count"] == 5
    report = {(e["row"], e["field"]) for e in done["errors"]}
    assert report == {(2, "title"), (3, None), (4, "source_url"), (5, "tags"), (6, "tags")}
    assert all(e["message"] for e in done["errors"])
    assert await titles(client, owner) == ["Also good", "Good one"]
    cols = (await client.get(f"{API}/collections", headers=owner.headers)).json()["items"]
    assert sorted(c["name"] for c in cols) == ["Created by import", "Help center"]


async def test_markdown_front_matter_and_heading(client: httpx.AsyncClient, owner: Account) -> None:
    col = await collection(client, owner)
    front = (
        "---\ntitle: Password reset\ntags: [account, login]\nexample_questions:\n"
        "  - I forgot my password\n  - 'How do I reset my password?'\nsource_url: https://example.com/pw\n---\n"
        "Click *Forgot password* on the sign-in page.\n"
    )
    r = await upload(client, owner, "reset.md", front.encode(), col["id"])
    assert r.status_code == 202, r.text
    await finished(client, owner, r.json()["id"])
    heading = "# Delete my account\n\nWrite to privacy@example.com.\n"
    r = await upload(client, owner, "delete.markdown", heading.encode(), col["id"])
    await finished(client, owner, r.json()["id"])
    arts = (await client.get(f"{API}/articles", headers=owner.headers)).json()["items"]
    by_title = {a["title"]: a for a in arts}
    pw = by_title["Password reset"]
    assert pw["tags"] == ["account", "login"]
    assert pw["example_questions"] == ["I forgot my password", "How do I reset my password?"]
    assert pw["source_url"] == "https://example.com/pw"
    assert pw["body"].startswith("Click *Forgot password*")
    assert by_title["Delete my account"]["body"] == "Write to privacy@example.com."


async def test_zip_of_every_format(client: httpx.AsyncClient, owner: Account) -> None:
    col = await collection(client, owner)
    archive = zipped(
        {
            "faq.csv": CSV,
            "more/items.json": json.dumps([{"title": "From JSON", "example_questions": "a|b"}]),
            "more/guide.md": "# From Markdown\n\nText.",
            "notes.pdf": b"%PDF-1.4",
            "bad.json": "{not json",
            "__MACOSX/._faq.csv": b"\x00\x01",
            ".hidden.md": "# hidden",
            "latin1.csv": "title\ncaf\xe9\n".encode("latin-1"),
        }
    )
    r = await upload(client, owner, "kb.zip", archive, col["id"])
    assert r.status_code == 202, r.text
    done = await finished(client, owner, r.json()["id"])
    assert done["created_count"] == 4
    failed_files = sorted(e["file"] for e in done["errors"])
    assert failed_files == ["bad.json", "latin1.csv", "notes.pdf"]
    assert all(e["row"] == 0 for e in done["errors"])
    assert await titles(client, owner) == ["From JSON", "From Markdown", "Shipping times", "Warranty"]


async def test_progress_over_many_batches(client: httpx.AsyncClient, owner: Account) -> None:
    col = await collection(client, owner)
    lines = ["title,body,example_questions"] + [f"Topic {n},Body {n},question about topic{n}" for n in range(250)]
    lines.insert(100, ",missing title,x")
    r = await upload(client, owner, "big.csv", "\n".join(lines).encode(), col["id"])
    assert r.status_code == 202
    assert r.json()["total"] == 251
    done = await finished(client, owner, r.json()["id"])
    assert done["done"] == done["total"] == 251
    assert done["created_count"] == 250 and done["failed_count"] == 1
    assert done["errors"] == [{"file": None, "row": 101, "field": "title", "message": "A title is required."}]
    assert (await client.get(f"{API}/articles", headers=owner.headers)).json()["total"] == 250
    listed = (await client.get(f"{API}/imports", headers=owner.headers)).json()
    assert listed["items"][0]["id"] == r.json()["id"]


async def test_unreadable_files_are_refused_with_codes(client: httpx.AsyncClient, owner: Account) -> None:
    col = await collection(client, owner)
    cases = [
        ("a.exe", b"MZ", "unsupported_file_type", 422),
        ("a.csv", b"body\nno title column\n", "missing_column", 422),
        ("a.csv", b"", "empty_import", 422),
        ("a.csv", b"title\n", "empty_import", 422),
        ("a.json", b"{broken", "invalid_json", 422),
        ("a.json", b'{"nope": 1}', "invalid_json", 422),
        ("a.csv", "title\ncaf\xe9\n".encode("latin-1"), "invalid_encoding", 422),
        ("a.zip", b"PK not really", "invalid_zip", 422),
        ("a.zip", zipped({}), "empty_import", 422),
    ]
    for name, content, code, status in cases:
        r = await upload(client, owner, name, content, col["id"])
        assert r.status_code == status, (name, r.text)
        assert r.json()["code"] == code, (name, r.text)
    r = await upload(client, owner, "a.csv", CSV.encode(), "00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404
    r = await upload(client, owner, "a.csv", b"x" * (20 * 1024 * 1024 + 1), col["id"])
    assert r.status_code == 413
    viewer = await join(client, owner, "viewer")
    assert (await upload(client, viewer, "a.csv", CSV.encode(), col["id"])).status_code == 403
    # Rows without any collection are reported, not guessed.
    r = await upload(client, owner, "a.csv", CSV.encode())
    done = await finished(client, owner, r.json()["id"])
    assert done["created_count"] == 0 and {e["field"] for e in done["errors"]} == {"collection"}


async def test_imports_of_another_organization_are_hidden(
    client: httpx.AsyncClient, owner: Account, other_owner: Account
) -> None:
    col = await collection(client, owner)
    r = await upload(client, owner, "faq.csv", CSV.encode(), col["id"])
    await finished(client, owner, r.json()["id"])
    assert (await client.get(f"{API}/imports/{r.json()['id']}", headers=other_owner.headers)).status_code == 404
    assert (await client.get(f"{API}/imports", headers=other_owner.headers)).json()["total"] == 0
    r = await upload(client, other_owner, "faq.csv", CSV.encode(), col["id"])
    assert r.status_code == 404


def test_front_matter_subset_and_batch_sizes() -> None:
    from frontdesk.knowledge import imports, parsing
    from frontdesk.knowledge.text import csv_cell, csv_uncell

    meta = parsing.front_matter(
        "title: 'Quoted: yes'\ntags: [a, \"b\"]\n# a comment\nexample_questions:\n - one\n - two"
    )
    assert meta == {"title": "Quoted: yes", "tags": ["a", "b"], "example_questions": ["one", "two"]}
    row = parsing.parse("x.md", b"---\nbroken front matter without end\n# Title\nbody", "md")[0]
    assert row["title"] == "x" and row["body"].startswith("---")
    for value in ("=SUM(A1)", "+1", "-x", "@cmd", "plain", "'quoted"):
        assert csv_uncell(csv_cell(value)) == value
    assert imports.batch_size(10) == 100 and imports.batch_size(20_000) == 500
