"""Typebot's templates rebuilt in our node set: lead-gen converted block by block and run as a test run.

The exports are read from ../shared/corpora (never copied); the converter below is the test's own and
handles the block types those templates use.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Account
from tests.flows.helpers import create_flow, settled

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "flows" / "typebot"
# Typebot block type -> the node type that does the same job here.
MAPPING = {
    "text": "send_message",
    "image": "send_message",
    "choice input": "ask",
    "text input": "ask",
    "email input": "ask",
    "Jump": "jump",
}


def _text(rich: list[dict[str, Any]]) -> str:
    def walk(n: dict[str, Any]) -> str:
        return str(n.get("text", "")) + "".join(walk(c) for c in n.get("children", []))

    return "\n".join(walk(p) for p in rich)


def convert(bot: dict[str, Any]) -> dict[str, Any]:
    variables = {v["id"]: re.sub(r"\W+", "_", v["name"]).lower() for v in bot["variables"]}
    by_name = {v["name"]: variables[v["id"]] for v in bot["variables"]}

    def vars_(text: str) -> str:
        return re.sub(r"\{\{(.+?)\}\}", lambda m: "{{state." + by_name.get(m.group(1), "missing") + "}}", text)

    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    first: dict[str, str] = {}
    outgoing: dict[str, str] = {}
    for g in bot["groups"]:
        prev: str | None = None
        pending_text: list[str] = []
        for b in g["blocks"]:
            kind = MAPPING[b["type"]]
            if b["type"] == "text":
                nodes.append({"id": b["id"], "type": kind, "text": vars_(_text(b["content"]["richText"]))})
            elif b["type"] == "image":
                nodes.append({"id": b["id"], "type": kind, "media_url": b["content"]["url"]})
            elif b["type"] == "Jump":
                nodes.append({"id": b["id"], "type": "jump", "target_node": b["options"]["groupId"]})
            else:
                answer = {"choice input": "choice", "text input": "text", "email input": "email"}[b["type"]]
                var = variables.get((b.get("options") or {}).get("variableId", ""), f"answer_{b['id'][:6].lower()}")
                node = {
                    "id": b["id"],
                    "type": kind,
                    "question": "Your answer:",
                    "answer_type": answer,
                    "store_in": f"state.{var}",
                }
                if answer == "choice":
                    node["choices"] = [{"id": i["content"][:64], "label": i["content"][:80]} for i in b["items"]]
                nodes.append(node)
                if "outgoingEdgeId" in b:
                    outgoing[b["outgoingEdgeId"]] = b["id"]
            first.setdefault(g["id"], b["id"])
            if prev is not None:
                edges.append({"source": prev, "target": b["id"], "port": "next"})
            prev = b["id"]
            del pending_text[:]
    for n in nodes:  # jumps name a group; point them at its first block
        if n["type"] == "jump":
            n["target_node"] = first[n["target_node"]]
    start = None
    for e in bot["edges"]:
        target = first[e["to"]["groupId"]]
        if "eventId" in e["from"]:
            start = target
        elif e["id"] in outgoing:
            edges.append({"source": outgoing[e["id"]], "target": target, "port": "next"})
    return {"start": start, "nodes": nodes, "edges": edges}


@pytest.mark.parametrize("name", ["lead-gen", "faq", "customer-support"])
def test_every_block_of_the_templates_has_a_node_type(name: str) -> None:
    bot = json.loads((CORPUS / f"{name}.json").read_text())
    used = {b["type"] for g in bot["groups"] for b in g["blocks"]}
    assert used <= MAPPING.keys()
    graph = convert(bot)
    assert graph["start"] is not None and len(graph["nodes"]) == sum(len(g["blocks"]) for g in bot["groups"])


async def test_lead_gen_rebuilt_and_run(client: httpx.AsyncClient, owner: Account) -> None:
    graph = convert(json.loads((CORPUS / "lead-gen.json").read_text()))
    flow = await create_flow(client, owner, graph, name="Typebot lead-gen")
    assert flow["issues"] == [], flow["issues"]
    r = await client.post(f"/api/v1/flows/{flow['id']}/test-runs", headers=owner.headers, json={})
    run_id = r.json()["id"]
    for answer in ("Hi!", "Ada", "ada@example.org", "3", "We need a new website"):
        run = await settled(client, owner, run_id, "waiting", "completed", "failed")
        assert run["status"] == "waiting", run
        r = await client.post(f"/api/v1/flow-executions/{run_id}/input", headers=owner.headers, json={"text": answer})
        assert r.status_code == 200, r.text
    run = await settled(client, owner, run_id, "completed", "failed")
    assert run["status"] == "completed", run["error"]
    said = [t["text"] for t in run["transcript"] if t["from"] == "flow"]
    assert "Welcome to AA (Awesome Agency)" in said
    assert "Great! Nice to meet you Ada" in said
    assert said[-1] == "We'll get back to you at ada@example.org"
    assert run["state"]["name"] == "Ada" and run["state"]["email"] == "ada@example.org"
    assert any(v == "Social Media" for v in run["state"].values())  # "3" picked the third choice
