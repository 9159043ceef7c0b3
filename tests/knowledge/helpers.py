"""Small helpers for the knowledge tests: everything goes through the public API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import Account

API = "/api/v1/knowledge"


async def collection(client: httpx.AsyncClient, who: Account, name: str = "Help center", **extra: Any) -> Any:
    r = await client.post(f"{API}/collections", headers=who.headers, json={"name": name, **extra})
    assert r.status_code == 201, r.text
    return r.json()


async def article(client: httpx.AsyncClient, who: Account, collection_id: str, title: str, **extra: Any) -> Any:
    body = {"collection_id": collection_id, "title": title, **extra}
    r = await client.post(f"{API}/articles", headers=who.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def search(client: httpx.AsyncClient, who: Account, q: str, **params: Any) -> list[Any]:
    r = await client.get(f"{API}/search", headers=who.headers, params={"q": q, **params})
    assert r.status_code == 200, r.text
    hits: list[Any] = r.json()["hits"]
    return hits


async def upload(
    client: httpx.AsyncClient,
    who: Account,
    name: str,
    content: bytes,
    collection_id: str | None = None,
    **form: str,
) -> httpx.Response:
    data = dict(form)
    if collection_id:
        data["collection_id"] = collection_id
    return await client.post(f"{API}/imports", headers=who.headers, files={"file": (name, content)}, data=data)


async def finished(client: httpx.AsyncClient, who: Account, import_id: str, timeout: float = 30) -> Any:
    """Poll as the UI does until the background job has finished the import."""
    seen: list[int] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await client.get(f"{API}/imports/{import_id}", headers=who.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        seen.append(body["done"])
        assert seen == sorted(seen), "progress never goes backwards"
        if body["status"] in ("done", "failed"):
            return body
        assert asyncio.get_running_loop().time() < deadline, f"import still {body['status']}: {body}"
        await asyncio.sleep(0.05)
