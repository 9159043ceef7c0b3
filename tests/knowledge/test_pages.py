"""The knowledge pages, as a browser uses them: forms with CSRF, inline errors, the import page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

import httpx

from tests.web.conftest import WebClient, join_as

Web = Callable[[], Awaitable[WebClient]]


def _location_id(r: httpx.Response, prefix: str) -> str:
    assert r.status_code == 303, r.text
    found = re.search(rf"{prefix}([0-9a-f-]{{36}})", r.headers["location"])
    assert found, r.headers["location"]
    return found.group(1)


async def test_write_edit_search_and_delete_through_the_pages(owner_web: WebClient) -> None:
    r = await owner_web.get("/app/knowledge")
    assert r.status_code == 200 and "No articles yet" in r.text
    collection_id = _location_id(
        await owner_web.post("/app/knowledge/collections", {"name": "Shop", "description": "Orders"}), "collection="
    )
    r = await owner_web.post("/app/knowledge/collections", {"name": "Shop"})
    assert r.status_code == 409 and "exists already" in r.text

    r = await owner_web.get(f"/app/knowledge/articles/new?collection={collection_id}")
    assert r.status_code == 200 and 'name="example_questions"' in r.text
    form = {
        "collection_id": collection_id,
        "title": "Delivery <times>",
        "body": "We deliver in **two days**.",
        "tags": "shipping, delivery",
        "source_url": "https://example.com/delivery",
        "example_questions": "When will my order arrive?\nHow long is delivery?",
    }
    article_id = _location_id(await owner_web.post("/app/knowledge/articles", form), "/articles/")
    page = await owner_web.get(f"/app/knowledge/articles/{article_id}")
    assert "Delivery &lt;times&gt;" in page.text and "<times>" not in page.text
    assert "How long is delivery?" in page.text

    bad = await owner_web.post(f"/app/knowledge/articles/{article_id}", {**form, "source_url": "javascript:x"})
    assert bad.status_code == 422 and "http(s) address" in bad.text
    ok = await owner_web.post(f"/app/knowledge/articles/{article_id}", {**form, "title": "Delivery times"})
    assert ok.status_code == 303

    listing = await owner_web.get(f"/app/knowledge?collection={collection_id}")
    assert "Delivery times" in listing.text and "shipping" in listing.text
    found = await owner_web.get("/app/knowledge", params={"q": "when does my parcel arrive?"})
    assert "1 result for" in found.text and "Delivery times" in found.text and "two days" in found.text
    assert "0 results" in (await owner_web.get("/app/knowledge", params={"q": '"*'})).text

    r = await owner_web.post(f"/app/knowledge/articles/{article_id}/delete")
    assert r.status_code == 303
    assert (await owner_web.get(f"/app/knowledge/articles/{article_id}")).status_code == 404
    r = await owner_web.post(f"/app/knowledge/collections/{collection_id}/delete")
    assert r.status_code == 303
    assert "Shop" not in (await owner_web.get("/app/knowledge")).text


async def test_import_page_shows_progress_and_the_error_report(owner_web: WebClient) -> None:
    collection_id = _location_id(await owner_web.post("/app/knowledge/collections", {"name": "FAQ"}), "collection=")
    assert (await owner_web.get("/app/knowledge/imports")).status_code == 200
    csv = b"title,body\nGood,fine\n,no title here\n"
    r = await owner_web.http.post(
        "/app/knowledge/imports",
        data={"csrf_token": owner_web.http.cookies.get("fd_csrf"), "collection_id": collection_id},
        files={"file": ("faq.csv", csv, "text/csv")},
    )
    import_id = _location_id(r, "/imports/")
    for _ in range(200):
        page = await owner_web.get(f"/app/knowledge/imports/{import_id}")
        assert page.status_code == 200
        if 'data-status="done"' in page.text:
            break
        await asyncio.sleep(0.05)
    assert 'data-status="done"' in page.text
    assert "<progress" in page.text and "knowledge-import.js" in page.text
    assert "A title is required." in page.text
    assert "faq.csv" in (await owner_web.get("/app/knowledge/imports")).text

    r = await owner_web.http.post(
        "/app/knowledge/imports",
        data={"csrf_token": owner_web.http.cookies.get("fd_csrf")},
        files={"file": ("faq.exe", b"MZ", "application/octet-stream")},
    )
    assert r.status_code == 422 and "Upload a .csv" in r.text
    r = await owner_web.post("/app/knowledge/imports", {})
    assert r.status_code == 422 and "Choose a file" in r.text


async def test_viewers_read_but_cannot_write(web: Web, owner_web: WebClient) -> None:
    collection_id = _location_id(await owner_web.post("/app/knowledge/collections", {"name": "FAQ"}), "collection=")
    viewer, _ = await join_as(web, owner_web, "viewer")
    page = await viewer.get("/app/knowledge")
    assert page.status_code == 200 and "New article" not in page.text
    r = await viewer.post("/app/knowledge/articles", {"collection_id": collection_id, "title": "x"})
    assert r.status_code == 403
    assert (await viewer.post(f"/app/knowledge/collections/{collection_id}/delete")).status_code == 403
    assert (await viewer.get("/app/knowledge/articles/new")).status_code == 403
