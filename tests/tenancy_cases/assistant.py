"""Tenancy-walk entries of the assistant core: assistants and their instruction layers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.test_tenancy import Case, World, _create, _ok, seeder

PARAMS: dict[str, Any] = {
    "assistant_id": lambda w: w.ids["assistant"],
    "version": lambda w: "1",
}

CASES = [
    Case("GET", "/api/v1/assistants"),
    Case("POST", "/api/v1/assistants", body=lambda w: {"name": f"B assistant {w.tag}"}),
    Case("GET", "/api/v1/assistants/{assistant_id}"),
    Case("PATCH", "/api/v1/assistants/{assistant_id}", body=lambda w: {"instructions": "changed by b"}),
    Case("DELETE", "/api/v1/assistants/{assistant_id}"),
    Case("GET", "/api/v1/assistants/{assistant_id}/instructions"),
    Case("PUT", "/api/v1/assistants/{assistant_id}/instructions", body=lambda w: {"text": "changed by b"}),
    Case("POST", "/api/v1/assistants/{assistant_id}/instructions/versions/{version}/restore"),
    Case("GET", "/api/v1/assistant-instructions/organization"),
    Case("PUT", "/api/v1/assistant-instructions/organization", body=lambda w: {"text": "b's own defaults"}),
    # Acts on the caller's own organization: B restores B's own version (the number is no id of A's).
    Case(
        "POST",
        "/api/v1/assistant-instructions/organization/versions/{version}/restore",
        expect=frozenset({200, 403, 404}),
    ),
    Case("GET", "/api/v1/inboxes/{inbox_id}/assistant-instructions"),
    Case("PUT", "/api/v1/inboxes/{inbox_id}/assistant-instructions", body=lambda w: {"text": "changed by b"}),
    Case("POST", "/api/v1/inboxes/{inbox_id}/assistant-instructions/versions/{version}/restore"),
    Case("GET", "/app/assistants", kind="page"),
    Case("POST", "/app/assistants", kind="form", body=lambda w: {"name": f"B page assistant {w.tag}"}),
    Case("GET", "/app/assistants/{assistant_id}", kind="page"),
    Case("POST", "/app/assistants/{assistant_id}", kind="form", body=lambda w: {"name": "renamed by b"}),
    Case("POST", "/app/assistants/{assistant_id}/delete", kind="form"),
    Case("POST", "/app/assistants/{assistant_id}/versions/{version}/restore", kind="form"),
]


@seeder("POST", "/api/v1/assistants")
async def seed_assistant(client: httpx.AsyncClient, w: World) -> None:
    secret_persona = f"Alpha persona {w.tag}: the discount code is ALPHA-{w.tag}"
    body = {"name": f"Alpha Assistant {w.tag}", "instructions": secret_persona, "inbox_ids": [w.ids["inbox"]]}
    made = await _create(client, "/api/v1/assistants", w.a.headers, body)
    w.ids["assistant"] = made["id"]
    w.keep(made["id"], body["name"], secret_persona)
    w.intact.append((f"/api/v1/assistants/{made['id']}", secret_persona))
    org_text = f"Alpha org defaults {w.tag}"
    await _ok(
        await client.put("/api/v1/assistant-instructions/organization", headers=w.a.headers, json={"text": org_text})
    )
    inbox_text = f"Alpha inbox rules {w.tag}"
    await _ok(
        await client.put(
            f"/api/v1/inboxes/{w.ids['inbox']}/assistant-instructions", headers=w.a.headers, json={"text": inbox_text}
        )
    )
    w.keep(org_text, inbox_text)
    w.intact += [
        ("/api/v1/assistant-instructions/organization", org_text),
        (f"/api/v1/inboxes/{w.ids['inbox']}/assistant-instructions", inbox_text),
    ]
