"""Collections and articles through the API: CRUD, filters, paging, permissions and bad input."""

from __future__ import annotations

import httpx

from tests.conftest import Account, join
from tests.knowledge.helpers import API, article, collection


async def test_collection_and_article_lifecycle(client: httpx.AsyncClient, owner: Account) -> None:
    col = await collection(client, owner, "Billing", description="Invoices and refunds")
    assert col["article_count"] == 0
    art = await article(
        client,
        owner,
        col["id"],
        "  How do refunds   work? ",
        body="# Refunds\n\nWe refund **within 14 days**.",
        tags=["billing", "Billing", " refunds "],
        source_url="https://example.com/refunds",
        example_questions=["Can I get my money back?", "can i get my money back?", "refund please"],
    )
    assert art["title"] == "How do refunds work?"
    assert art["tags"] == ["billing", "refunds"]
    assert art["example_questions"] == ["Can I get my money back?", "refund please"]
    assert art["updated_by"] == owner.email

    got = (await client.get(f"{API}/articles/{art['id']}", headers=owner.headers)).json()
    assert got["body"].startswith("# Refunds")

    r = await client.patch(
        f"{API}/articles/{art['id']}", headers=owner.headers, json={"title": "Refunds", "source_url": None}
    )
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "Refunds" and r.json()["source_url"] is None
    assert r.json()["tags"] == ["billing", "refunds"]

    got_col = (await client.get(f"{API}/collections/{col['id']}", headers=owner.headers)).json()
    assert got_col["article_count"] == 1
    r = await client.patch(f"{API}/collections/{col['id']}", headers=owner.headers, json={"name": "Payments"})
    assert r.json()["name"] == "Payments"

    assert (await client.delete(f"{API}/articles/{art['id']}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"{API}/articles/{art['id']}", headers=owner.headers)).status_code == 404
    assert (await client.delete(f"{API}/collections/{col['id']}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"{API}/collections/{col['id']}", headers=owner.headers)).status_code == 404


async def test_deleting_a_collection_removes_its_articles(client: httpx.AsyncClient, owner: Account) -> None:
    col = await collection(client, owner)
    art = await article(client, owner, col["id"], "Opening hours", example_questions=["when are you open"])
    assert (await client.delete(f"{API}/collections/{col['id']}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"{API}/articles/{art['id']}", headers=owner.headers)).status_code == 404
    r = await client.get(f"{API}/search", headers=owner.headers, params={"q": "open hours"})
    assert r.json()["hits"] == []


async def test_list_filters_and_pages(client: httpx.AsyncClient, owner: Account) -> None:
    a = await collection(client, owner, "A")
    b = await collection(client, owner, "B")
    for n in range(7):
        await article(client, owner, a["id"], f"Alpha {n}", tags=["even" if n % 2 == 0 else "odd"])
    await article(client, owner, b["id"], "Beta shipping", body="We ship with 100% care_fully")

    page = (await client.get(f"{API}/articles", headers=owner.headers, params={"per_page": 3, "page": 2})).json()
    assert page["total"] == 8 and page["pages"] == 3 and len(page["items"]) == 3
    only_a = (await client.get(f"{API}/articles", headers=owner.headers, params={"collection_id": a["id"]})).json()
    assert only_a["total"] == 7
    even = (await client.get(f"{API}/articles", headers=owner.headers, params={"tag": "even"})).json()
    assert even["total"] == 4
    found = (await client.get(f"{API}/articles", headers=owner.headers, params={"q": "SHIPPING"})).json()
    assert [i["title"] for i in found["items"]] == ["Beta shipping"]
    # LIKE wildcards in the text are literal.
    assert (await client.get(f"{API}/articles", headers=owner.headers, params={"q": "100%"})).json()["total"] == 1
    assert (await client.get(f"{API}/articles", headers=owner.headers, params={"q": "p_w"})).json()["total"] == 0
    cols = (await client.get(f"{API}/collections", headers=owner.headers)).json()
    assert [(c["name"], c["article_count"]) for c in cols["items"]] == [("A", 7), ("B", 1)]


async def test_bad_input_answers_with_codes(client: httpx.AsyncClient, owner: Account) -> None:
    col = await collection(client, owner)
    cases = [
        ({"collection_id": col["id"], "title": "   "}, 422, "invalid_title"),
        ({"collection_id": col["id"], "title": "x", "source_url": "javascript:alert(1)"}, 422, "invalid_source_url"),
        ({"collection_id": col["id"], "title": "x", "tags": ["t" * 61]}, 422, "invalid_tags"),
        (
            {"collection_id": col["id"], "title": "x", "example_questions": ["q" * 501]},
            422,
            "invalid_example_questions",
        ),
        ({"collection_id": col["id"], "title": "x", "colour": "red"}, 422, None),
        ({"collection_id": "00000000-0000-0000-0000-000000000000", "title": "x"}, 404, "collection_not_found"),
        ({"collection_id": "nope", "title": "x"}, 422, None),
    ]
    for body, status, code in cases:
        r = await client.post(f"{API}/articles", headers=owner.headers, json=body)
        assert r.status_code == status, (body, r.text)
        if code:
            assert r.json()["code"] == code
    r = await client.post(f"{API}/collections", headers=owner.headers, json={"name": col["name"]})
    assert r.status_code == 409 and r.json()["code"] == "collection_exists"
    art = (
        await client.post(f"{API}/articles", headers=owner.headers, json={"collection_id": col["id"], "title": "ok"})
    ).json()
    r = await client.patch(f"{API}/articles/{art['id']}", headers=owner.headers, json={"title": None})
    assert r.status_code == 422 and r.json()["code"] == "null_not_allowed"
    r = await client.get(f"{API}/articles/not-a-uuid", headers=owner.headers)
    assert r.status_code == 422
    assert (await client.get(f"{API}/articles", headers=owner.headers, params={"per_page": 1000})).status_code == 422


async def test_permissions(client: httpx.AsyncClient, owner: Account) -> None:
    col = await collection(client, owner)
    viewer = await join(client, owner, "viewer")
    agent = await join(client, owner, "agent")
    for who in (viewer, agent):
        assert (await client.get(f"{API}/articles", headers=who.headers)).status_code == 200
        assert (await client.get(f"{API}/search", headers=who.headers, params={"q": "x"})).status_code == 200
    r = await client.post(f"{API}/articles", headers=viewer.headers, json={"collection_id": col["id"], "title": "x"})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    r = await client.delete(f"{API}/collections/{col['id']}", headers=viewer.headers)
    assert r.status_code == 403
    assert (await client.get(f"{API}/articles")).status_code == 401


async def test_another_organization_sees_nothing(
    client: httpx.AsyncClient, owner: Account, other_owner: Account
) -> None:
    col = await collection(client, owner)
    art = await article(client, owner, col["id"], "Secret pricing", example_questions=["what is the discount"])
    h = other_owner.headers
    assert (await client.get(f"{API}/articles/{art['id']}", headers=h)).status_code == 404
    assert (await client.get(f"{API}/collections/{col['id']}", headers=h)).status_code == 404
    assert (await client.patch(f"{API}/articles/{art['id']}", headers=h, json={"title": "x"})).status_code == 404
    assert (await client.delete(f"{API}/collections/{col['id']}", headers=h)).status_code == 404
    r = await client.post(f"{API}/articles", headers=h, json={"collection_id": col["id"], "title": "intrude"})
    assert r.status_code == 404
    assert (await client.get(f"{API}/articles", headers=h)).json()["total"] == 0
    assert (await client.get(f"{API}/search", headers=h, params={"q": "discount pricing"})).json()["hits"] == []
    r = await client.get(f"{API}/search", headers=h, params={"q": "discount", "collection_id": col["id"]})
    assert r.status_code == 404
    # A's article is untouched.
    assert (await client.get(f"{API}/articles/{art['id']}", headers=owner.headers)).json()["title"] == "Secret pricing"
