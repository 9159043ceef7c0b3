"""Tenancy walk entries for bot flows: flows, versions, templates, executions, triggers and their pages."""

from __future__ import annotations

from typing import Any

import httpx

from tests.test_tenancy import Case, World, _create, _ok, seeder


def _graph(w: World) -> dict[str, Any]:
    return {
        "start": "ask",
        "nodes": [{"id": "ask", "type": "ask", "question": f"Alpha secret question {w.tag}?", "store_in": "state.x"}],
        "edges": [],
    }


@seeder("POST", "/api/v1/flows")
async def seed_flow(client: httpx.AsyncClient, w: World) -> None:
    flow = await _create(client, "/api/v1/flows", w.a.headers, {"name": f"Alpha Flow {w.tag}", "graph": _graph(w)})
    await _create(client, f"/api/v1/flows/{flow['id']}/publish", w.a.headers, {"note": f"alpha note {w.tag}"})
    trig = await _create(
        client,
        "/api/v1/flow-triggers",
        w.a.headers,
        {"flow_id": flow["id"], "kind": "keyword", "config": {"match": "exact", "pattern": f"alphakey{w.tag}"}},
    )
    template = await _create(
        client, "/api/v1/flow-templates", w.a.headers, {"flow_id": flow["id"], "name": f"Alpha Template {w.tag}"}
    )
    ex = await _create(client, f"/api/v1/flows/{flow['id']}/executions", w.a.headers, {"contact_id": w.ids["contact"]})
    w.ids |= {
        "flow": flow["id"],
        "flow_trigger": trig["id"],
        "flow_template": template["id"],
        "flow_execution": ex["id"],
    }
    w.keep(flow["id"], flow["name"], trig["id"], f"alphakey{w.tag}", template["id"], template["name"], ex["id"])
    w.keep(f"Alpha secret question {w.tag}?", f"alpha note {w.tag}")
    w.intact += [
        (f"/api/v1/flows/{flow['id']}", flow["name"]),
        (f"/api/v1/flow-triggers/{trig['id']}", f"alphakey{w.tag}"),
        (f"/api/v1/flow-executions/{ex['id']}", ex["id"]),
    ]
    await _ok(await client.get(f"/api/v1/flows/{flow['id']}", headers=w.a.headers))


def _flow(w: World) -> dict[str, Any]:
    return {"flow_id": w.ids["flow"]}


PARAMS = {
    "flow_id": lambda w: w.ids["flow"],
    "number": lambda w: "1",
    "execution_id": lambda w: w.ids["flow_execution"],
    "trigger_id": lambda w: w.ids["flow_trigger"],
    "template_id": lambda w: w.ids["flow_template"],
}

CASES = [
    Case("GET", "/api/v1/flows"),
    Case("POST", "/api/v1/flows", body=lambda w: {"name": "B flow"}),
    Case("POST", "/api/v1/flows/import", body=lambda w: {"name": "B import", "graph": _graph(w)}),
    Case("GET", "/api/v1/flows/{flow_id}"),
    Case("PATCH", "/api/v1/flows/{flow_id}", body=lambda w: {"name": "hijacked by b"}),
    Case("DELETE", "/api/v1/flows/{flow_id}"),
    Case("POST", "/api/v1/flows/{flow_id}/validate"),
    Case("POST", "/api/v1/flows/{flow_id}/publish", body=lambda w: {}),
    Case("GET", "/api/v1/flows/{flow_id}/versions"),
    Case("GET", "/api/v1/flows/{flow_id}/versions/{number}"),
    Case("POST", "/api/v1/flows/{flow_id}/versions/{number}/restore"),
    Case("GET", "/api/v1/flows/{flow_id}/export"),
    Case("GET", "/api/v1/flows/{flow_id}/analytics"),
    Case("POST", "/api/v1/flows/{flow_id}/executions", body=lambda w: {"contact_id": w.ids["contact"]}),
    Case("POST", "/api/v1/flows/{flow_id}/test-runs", body=lambda w: {}),
    Case("GET", "/api/v1/flow-templates"),
    Case("POST", "/api/v1/flow-templates", body=_flow, expect=frozenset({401, 403, 404})),
    Case("POST", "/api/v1/flow-templates/{template_id}/use", body=lambda w: {}),
    Case("DELETE", "/api/v1/flow-templates/{template_id}"),
    Case("GET", "/api/v1/flow-executions", query=_flow),
    Case("GET", "/api/v1/flow-executions/{execution_id}"),
    Case("POST", "/api/v1/flow-executions/{execution_id}/input", body=lambda w: {"text": "from b"}),
    Case("POST", "/api/v1/flow-executions/{execution_id}/resume"),
    Case("POST", "/api/v1/flow-executions/{execution_id}/cancel"),
    Case("GET", "/api/v1/flow-triggers", query=_flow),
    Case(
        "POST",
        "/api/v1/flow-triggers",
        body=lambda w: {"flow_id": w.ids["flow"], "kind": "keyword", "config": {"pattern": "b"}},
        expect=frozenset({401, 403, 404}),
    ),
    Case("POST", "/api/v1/flow-triggers/test", body=lambda w: {"text": f"alphakey{w.tag}"}),
    Case("GET", "/api/v1/flow-triggers/{trigger_id}"),
    Case("PATCH", "/api/v1/flow-triggers/{trigger_id}", body=lambda w: {"name": "b"}),
    Case("DELETE", "/api/v1/flow-triggers/{trigger_id}"),
    Case("POST", "/api/v1/flow-triggers/{trigger_id}/activate"),
    Case("POST", "/api/v1/flow-triggers/{trigger_id}/deactivate"),
    Case("GET", "/api/v1/flow-triggers/{trigger_id}/firings"),
]

PARAMS["action"] = lambda w: "cancel"

CASES += [
    Case("GET", "/app/flows", kind="page"),
    Case("POST", "/app/flows", kind="form", body=lambda w: {"name": "B page flow"}),
    Case("GET", "/app/flows/{flow_id}", kind="page"),
    Case("GET", "/app/flows/{flow_id}/executions/{execution_id}", kind="page"),
    Case("POST", "/app/flows/{flow_id}/executions/{execution_id}/{action}", kind="form"),
]


@seeder("POST", "/api/v1/contacts/attribute-definitions")
async def seed_attribute_definition(client: httpx.AsyncClient, w: World) -> None:
    body = {"key": "plan", "type": "string", "label": f"Alpha plan label {w.tag}"}
    await _create(client, "/api/v1/contacts/attribute-definitions", w.a.headers, body)
    w.keep(body["label"])
    w.intact.append(("/api/v1/contacts/attribute-definitions", body["label"]))


CASES += [
    Case("GET", "/api/v1/contacts/attribute-definitions"),
    Case("POST", "/api/v1/contacts/attribute-definitions", body=lambda w: {"key": "b_only", "type": "number"}),
    Case("PATCH", "/api/v1/contacts/attribute-definitions/{key}", body=lambda w: {"label": "hijacked"}),
    Case("DELETE", "/api/v1/contacts/attribute-definitions/{key}"),
]
