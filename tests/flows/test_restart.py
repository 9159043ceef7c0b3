"""Executions waiting on an ask or a wait continue after the real server process is killed and restarted."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx

from tests.conftest import sign_up
from tests.flows.helpers import Widget, create_flow, edge, eventually, keyword, node, publish
from tests.kit.processes import frontdesk_env, spawn_server, wait_healthy

GRAPH = {
    "start": "q",
    "nodes": [
        node("q", "ask", question="What's your name?", store_in="state.name"),
        node("nap", "wait", mode="duration", amount=4, unit="seconds"),
        node("later", "send_message", text="Back after the wait, {{state.name}}."),
        node("q2", "ask", question="Anything else?", answer_type="yes_no", store_in="state.more"),
        node("bye", "end", message="Bye {{state.name}} ({{state.more}})"),
    ],
    "edges": [edge("q", "nap"), edge("nap", "later"), edge("later", "q2"), edge("q2", "bye")],
}


async def test_waits_and_questions_survive_restarts(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "frontdesk.db"
    shutil.copyfile(sqlite_template, db)
    env = frontdesk_env(tmp_path, database_url=f"sqlite+aiosqlite:///{db}", public_url="http://127.0.0.1")
    procs = []
    try:
        first = spawn_server("serve-1", env, tmp_path)
        procs.append(first)
        await wait_healthy(first, timeout=120)
        async with httpx.AsyncClient(base_url=first.url, timeout=10) as client:
            owner = await sign_up(client, org="Restart Co")
            flow = await create_flow(client, owner, GRAPH)
            await publish(client, owner, flow["id"])
            await keyword(client, owner, flow["id"], "start")
            widget, _ = await Widget.open(client, owner)
            await widget.say("start")
            await widget.wait_for("What's your name?")
        first.kill_hard()  # the execution now waits for an answer, in the database only

        second = spawn_server("serve-2", env, tmp_path)
        procs.append(second)
        await wait_healthy(second, timeout=120)
        async with httpx.AsyncClient(base_url=second.url, timeout=10) as client:
            widget.client = client
            await widget.say("Grace")

            async def waiting_on_time() -> bool:
                r = await client.get("/api/v1/flow-executions", headers=owner.headers)
                return bool(r.json()["items"]) and r.json()["items"][0]["waiting_for"] == "time"

            await eventually(waiting_on_time)
        second.kill_hard()  # mid-wait: the resume is a job row due in a few seconds

        third = spawn_server("serve-3", env, tmp_path)
        procs.append(third)
        await wait_healthy(third, timeout=120)
        async with httpx.AsyncClient(base_url=third.url, timeout=10) as client:
            widget.client = client
            await widget.wait_for("Back after the wait, Grace.", timeout=30)
            await widget.wait_for("Anything else?")
            await widget.say("no")
            said = await widget.wait_for("Bye Grace (no)")
            assert said.count("Back after the wait, Grace.") == 1  # resumed once, not once per process
            r = await client.get("/api/v1/flow-executions", headers=owner.headers)
            [ex] = r.json()["items"]
            assert ex["status"] == "completed" and ex["state"] == {"name": "Grace", "more": False}
    finally:
        for proc in procs:
            proc.stop()
