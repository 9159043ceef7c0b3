"""The knowledge base in the tenancy walk: A's collection, article and import, attacked by B."""

from __future__ import annotations

import httpx

from tests.test_tenancy import Case, World, _create, _ok, seeder

API = "/api/v1/knowledge"


def _article_body(w: World) -> dict[str, object]:
    return {"collection_id": w.ids["knowledge_collection"], "title": "written by b"}


CASES: list[Case] = [
    Case("GET", f"{API}/collections", query=lambda w: {"q": f"Alpha Collection {w.tag}"}),
    Case("POST", f"{API}/collections", body=lambda w: {"name": f"b collection {w.tag}"}),
    Case("GET", f"{API}/collections/{{collection_id}}"),
    Case("PATCH", f"{API}/collections/{{collection_id}}", body=lambda w: {"name": "renamed by b"}),
    Case("DELETE", f"{API}/collections/{{collection_id}}"),
    Case("GET", f"{API}/articles", query=lambda w: {"q": f"Alpha Article {w.tag}"}),
    # Naming A's collection in a body is refused like naming it in a path.
    Case("POST", f"{API}/articles", body=_article_body, expect=frozenset({404})),
    Case("GET", f"{API}/articles/{{article_id}}"),
    Case("PATCH", f"{API}/articles/{{article_id}}", body=lambda w: {"title": "renamed by b"}),
    Case("DELETE", f"{API}/articles/{{article_id}}"),
    Case("GET", f"{API}/search", query=lambda w: {"q": f"alpha secret question {w.tag}"}),
    Case("GET", f"{API}/imports"),
    # A JSON body where a file belongs: refused as bad input, and never touches A.
    Case("POST", f"{API}/imports", body=lambda w: {"collection_id": w.ids["knowledge_collection"]}),
    Case("GET", f"{API}/imports/{{import_id}}"),
    Case("GET", f"{API}/export", query=lambda w: {"format": "json"}),
    # ---- pages
    Case("GET", "/app/knowledge", kind="page", query=lambda w: {"q": f"alpha secret question {w.tag}"}),
    Case("POST", "/app/knowledge/collections", kind="form", body=lambda w: {"name": f"b page collection {w.tag}"}),
    Case("POST", "/app/knowledge/collections/{collection_id}", kind="form", body=lambda w: {"name": "renamed by b"}),
    Case("POST", "/app/knowledge/collections/{collection_id}/delete", kind="form"),
    Case("GET", "/app/knowledge/articles/new", kind="page"),
    Case(
        "POST",
        "/app/knowledge/articles",
        kind="form",
        body=lambda w: {"collection_id": w.ids["knowledge_collection"], "title": "b page article"},
    ),
    Case("GET", "/app/knowledge/articles/{article_id}", kind="page"),
    Case("POST", "/app/knowledge/articles/{article_id}", kind="form", body=lambda w: {"title": "renamed by b"}),
    Case("POST", "/app/knowledge/articles/{article_id}/delete", kind="form"),
    Case("GET", "/app/knowledge/imports", kind="page"),
    Case(
        "POST", "/app/knowledge/imports", kind="form", body=lambda w: {"collection_id": w.ids["knowledge_collection"]}
    ),
    Case("GET", "/app/knowledge/imports/{import_id}", kind="page"),
]

PARAMS = {
    "collection_id": lambda w: w.ids["knowledge_collection"],
    "article_id": lambda w: w.ids["knowledge_article"],
    "import_id": lambda w: w.ids["knowledge_import"],
}


@seeder("POST", f"{API}/collections")
async def seed_knowledge(client: httpx.AsyncClient, w: World) -> None:
    col = await _create(client, f"{API}/collections", w.a.headers, {"name": f"Alpha Collection {w.tag}"})
    art = await _create(
        client,
        f"{API}/articles",
        w.a.headers,
        {
            "collection_id": col["id"],
            "title": f"Alpha Article {w.tag}",
            "body": f"Alpha private answer {w.tag}",
            "example_questions": [f"alpha secret question {w.tag}"],
        },
    )
    r = await client.post(
        f"{API}/imports",
        headers=w.a.headers,
        data={"collection_id": col["id"]},
        files={"file": (f"alpha-import-{w.tag}.csv", f"title\nAlpha Imported {w.tag}\n".encode())},
    )
    imp = await _ok(r, 202)
    w.ids |= {"knowledge_collection": col["id"], "knowledge_article": art["id"], "knowledge_import": imp["id"]}
    w.keep(col["id"], col["name"], art["id"], art["title"], art["body"], imp["id"], imp["filename"])
    w.keep(f"Alpha Imported {w.tag}", f"alpha secret question {w.tag}")
    w.intact.append((f"{API}/articles/{art['id']}", art["title"]))
    w.intact.append((f"{API}/collections/{col['id']}", col["name"]))
    w.intact.append((f"{API}/imports/{imp['id']}", imp["filename"]))
