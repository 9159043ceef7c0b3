"""AI providers in the tenancy walk: A's provider (with its key), budget and usage, attacked by B."""

from __future__ import annotations

import httpx

from tests.test_tenancy import Case, World, _create, _ok, seeder

API = "/api/v1/ai"
PAGES = "/app/settings/ai-providers"

CASES: list[Case] = [
    Case("GET", f"{API}/providers"),
    Case("POST", f"{API}/providers", body=lambda w: {"name": f"b provider {w.tag}", "kind": "openai"}),
    # Naming A's provider in the order is refused like naming it in a path.
    Case("PUT", f"{API}/providers/order", body=lambda w: {"ids": [w.ids["ai_provider"]]}, expect=frozenset({404})),
    Case("GET", f"{API}/providers/{{provider_id}}"),
    Case("PATCH", f"{API}/providers/{{provider_id}}", body=lambda w: {"name": "renamed by b"}),
    Case("DELETE", f"{API}/providers/{{provider_id}}"),
    Case("POST", f"{API}/providers/{{provider_id}}/test"),
    Case("GET", f"{API}/settings"),
    Case("PUT", f"{API}/settings", body=lambda w: {"monthly_budget_usd": 0}),
    Case("GET", f"{API}/usage"),
    # ---- pages
    Case("GET", PAGES, kind="page"),
    Case("POST", PAGES, kind="form", body=lambda w: {"name": f"b page provider {w.tag}", "kind": "openai"}),
    Case("POST", f"{PAGES}/budget", kind="form", body=lambda w: {"monthly_budget_usd": "0"}),
    Case("GET", f"{PAGES}/{{provider_id}}", kind="page"),
    Case("POST", f"{PAGES}/{{provider_id}}", kind="form", body=lambda w: {"name": "renamed by b"}),
    Case("POST", f"{PAGES}/{{provider_id}}/test", kind="form"),
    Case("POST", f"{PAGES}/{{provider_id}}/delete", kind="form"),
]

PARAMS = {"provider_id": lambda w: w.ids["ai_provider"]}


@seeder("POST", f"{API}/providers")
async def seed_ai_provider(client: httpx.AsyncClient, w: World) -> None:
    key = f"sk-alpha-secret-key-{w.tag}"
    provider = await _create(
        client,
        f"{API}/providers",
        w.a.headers,
        {"name": f"Alpha Provider {w.tag}", "kind": "openai", "api_key": key, "default_model": f"alpha-model-{w.tag}"},
    )
    budget = await _ok(await client.put(f"{API}/settings", headers=w.a.headers, json={"monthly_budget_usd": 12.5}))
    assert budget["monthly_budget_usd"] == 12.5
    w.ids["ai_provider"] = provider["id"]
    w.keep(provider["id"], provider["name"], key, provider["default_model"])
    w.intact.append((f"{API}/providers/{provider['id']}", provider["name"]))
    w.intact.append((f"{API}/settings", "12.5"))
