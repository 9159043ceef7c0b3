"""Notification fan-out: one announcement to 500 open agent tabs, time to each tab.

One ``frontdesk serve`` on loopback (SQLite, embedded mode), an organization with 50 agents, each with
10 realtime sockets open (500 tabs). The owner posts an announcement; every tab should receive its
``notification`` event. Latency is from the start of the POST to each tab's receipt. The baseline,
measured on the same 500 sockets in the same run, is a ping/pong round trip on each socket: the floor
the server's socket loop sets before any notification work.

Run: ``.venv/bin/python bench/notification_fanout.py [--agents 50] [--tabs 10] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_baseline import api, serve_frontdesk, sign_up
from widget_fanout import bench_env, invite_agent, stats


async def _open(url: str, token: str) -> Any:
    ws = await websockets.connect(url, max_size=2**20, compression=None)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    while json.loads(await ws.recv())["type"] != "ready":
        pass
    return ws


async def _until(ws: Any, kind: str, started: float, out: list[float]) -> None:
    while True:
        event = json.loads(await ws.recv())
        if event["type"] == kind:
            out.append(time.perf_counter() - started)
            return


async def run(base: str, owner: dict[str, str], tokens: list[str], tabs: int, rounds: int) -> dict[str, Any]:
    url = base.replace("http", "ws", 1) + "/api/v1/realtime"
    sockets = [await _open(url, t) for t in tokens for _ in range(tabs)]
    pings: list[float] = []
    notes: list[float] = []
    try:
        for n in range(rounds):
            started = time.perf_counter()
            await asyncio.gather(*(ws.send(json.dumps({"type": "ping"})) for ws in sockets))
            await asyncio.gather(*(_until(ws, "pong", started, pings) for ws in sockets))
            started = time.perf_counter()
            waiting = asyncio.gather(*(_until(ws, "notification", started, notes) for ws in sockets))
            await asyncio.to_thread(
                api, base, "POST", "/api/v1/notifications/announcements", {"title": f"Round {n}"}, owner
            )
            await asyncio.wait_for(waiting, 60)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return {"tabs": len(sockets), "ping": stats(pings), "notification": stats(notes)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--tabs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp, serve_frontdesk(bench_env(Path(tmp))) as (base, _pid):
        owner = sign_up(base)
        me = api(base, "GET", "/api/v1/me", None, owner)
        owner["X-Organization-Id"] = me["organization_id"]
        tokens = [invite_agent(base, owner, n) for n in range(args.agents)]
        result = asyncio.run(run(base, owner, tokens, args.tabs, args.rounds))
    ping, note = result["ping"], result["notification"]
    print(f"{result['tabs']} tabs ({args.agents} agents x {args.tabs}), {args.rounds} announcements")
    print(f"  ping/pong on every tab (baseline): p50 {ping['p50_ms']:.1f} ms  p99 {ping['p99_ms']:.1f} ms")
    print(f"  announcement to every tab:         p50 {note['p50_ms']:.1f} ms  p99 {note['p99_ms']:.1f} ms")
    print(f"  ratio p99: {note['p99_ms'] / ping['p99_ms']:.1f}x the baseline")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
