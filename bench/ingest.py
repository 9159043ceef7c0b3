"""API-channel ingest: customer messages stored and published per second, against a hello-world.

``POST /api/v1/inboxes/{id}/messages`` with an API key, each request from a new contact with its
own ``client_id`` (so each one finds or creates the contact, opens a conversation, stores the
message, and publishes its events after the commit), over 32 keep-alive connections from a load
generator in a separate process. The inbox is answered by people (no assistant), so one request
stores one message. An integrator's socket on the inbox (``/api/v1/inboxes/{id}/ws``) in the
generator process counts the ``message.created`` events that arrive, and times each from the start
of its POST: stored *and* published.

The baseline is ``bench/http_baseline.py``'s bare ASGI hello-world, served and loaded the same way
in the same run (its own GET generator); the ratio says how much of what uvicorn can do on this
machine an ingesting Frontdesk keeps.

Run: ``.venv/bin/python bench/ingest.py [--duration 10] [--concurrency 32]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_baseline import (
    _percentile,
    api,
    cpu_seconds,
    cpus,
    machine,
    measure,
    serve_frontdesk,
    serve_hello,
    sign_up,
)
from widget_fanout import bench_env, create_inbox, run_json_child, stats

# ---------------------------------------------------------------- the generator process


class _Run:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.bad: dict[int, int] = {}
        self.started: dict[str, float] = {}
        self.published: list[float] = []


async def _poster(cfg: dict[str, Any], worker: int, measure_from: float, stop_at: float, run: _Run) -> None:
    host, port = cfg["host"], int(cfg["port"])
    reader, writer = await asyncio.open_connection(host, port)
    head = (
        f"POST {cfg['path']} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n"
        f"Authorization: Bearer {cfg['api_key']}\r\nContent-Type: application/json\r\nContent-Length: "
    ).encode()
    clock = time.perf_counter
    n = 0
    try:
        while True:
            started = clock()
            if started >= stop_at:
                return
            n += 1
            tag = f"{worker}-{n}"
            content = f"ingest {tag}"
            body = json.dumps(
                {
                    "contact": {"external_id": f"{cfg['run']}-{tag}", "name": f"Customer {tag}"},
                    "content": content,
                    "client_id": tag,
                }
            ).encode()
            measured = started >= measure_from
            if measured:
                run.started[content] = started
            writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            response = await reader.readuntil(b"\r\n\r\n")
            status = int(response[9:12])
            lowered = response.lower()
            at = lowered.find(b"content-length:")
            if at < 0:
                raise RuntimeError("the load generator needs Content-Length responses")
            length = int(lowered[at + 15 : lowered.find(b"\r\n", at)])
            if length:
                await reader.readexactly(length)
            if measured:
                run.latencies.append(clock() - started)
                if not 200 <= status < 300:
                    run.bad[status] = run.bad.get(status, 0) + 1
    finally:
        writer.close()


async def _listener(cfg: dict[str, Any], ready: asyncio.Event, run: _Run) -> None:
    """The integrator's socket: every message of the inbox's conversations, as it is published."""
    from websockets.asyncio.client import connect

    url = f"ws://{cfg['host']}:{cfg['port']}/api/v1/inboxes/{cfg['inbox_id']}/ws"
    async with connect(url, ping_interval=None, max_size=2**22, close_timeout=1) as ws:
        await ws.send(json.dumps({"type": "auth", "api_key": cfg["api_key"]}))
        first = json.loads(await ws.recv())
        if first.get("type") != "ready":
            raise RuntimeError(f"inbox socket refused: {first}")
        ready.set()
        clock = time.perf_counter
        async for raw in ws:
            now = clock()
            event = json.loads(raw)
            if event.get("type") == "message.created":
                started = run.started.get(event["message"].get("content", ""))
                if started is not None:
                    run.published.append(now - started)


async def _load(cfg: dict[str, Any]) -> dict[str, Any]:
    run = _Run()
    ready = asyncio.Event()
    listener = asyncio.create_task(_listener(cfg, ready, run))
    await asyncio.wait_for(ready.wait(), 30)
    now = time.perf_counter()
    warmup, duration = float(cfg["warmup"]), float(cfg["duration"])
    measure_from, stop_at = now + warmup, now + warmup + duration
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    server_before, marked_at = None, 0.0
    workers = [_poster(cfg, w, measure_from, stop_at, run) for w in range(int(cfg["concurrency"]))]

    async def server_cpu_mark() -> None:
        nonlocal server_before, marked_at
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        server_before, marked_at = cpu_seconds(cfg["server_pid"]), time.perf_counter()

    await asyncio.gather(*workers, server_cpu_mark())
    # The last requests end after stop_at (by up to a p99), so the CPU window runs until they do.
    server_after, server_window = cpu_seconds(cfg["server_pid"]), time.perf_counter() - marked_at
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    # Events still on their way get a moment before they count as lost.
    deadline = time.perf_counter() + 3
    while len(run.published) < len(run.latencies) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    listener.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await listener
    used = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    ordered = sorted(run.latencies)
    return {
        "requests": len(ordered),
        "seconds": duration,
        "rps": len(ordered) / duration,
        "p50_ms": _percentile(ordered, 0.50) * 1000,
        "p99_ms": _percentile(ordered, 0.99) * 1000,
        "non_2xx": sum(run.bad.values()),
        "statuses": run.bad,
        "generator_cpu": used / (warmup + duration),
        "server_cpu": (server_after - (server_before or server_after)) / server_window,
        "published": stats(run.published),
    }


def load_main() -> int:
    cfg = json.loads(sys.stdin.read())
    try:
        import uvloop

        result = uvloop.run(_load(cfg))
    except ImportError:
        result = asyncio.run(_load(cfg))
    print(json.dumps(result))
    return 0


# ---------------------------------------------------------------- orchestration


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per target")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--setting", action="append", default=[], help="extra NAME=value for the server's env")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    server_cores, generator_cores = cpus()
    print(f"API-channel ingest, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(
        f"  {args.concurrency} keep-alive connections, {args.warmup:g} s warm-up + {args.duration:g} s measured; "
        f"server on CPU {sorted(server_cores) if server_cores else 'any'}, "
        f"generator on CPU {sorted(generator_cores) if generator_cores else 'any'}",
        flush=True,
    )
    with serve_hello(cores=server_cores) as (base, pid):
        hello = measure("hello-world ASGI (GET)", base + "/", pid, None, args, generator_cores)
    extra = dict(s.split("=", 1) for s in args.setting)
    with (
        tempfile.TemporaryDirectory(prefix="fd-bench-") as tmp,
        serve_frontdesk(bench_env(Path(tmp), **extra), cores=server_cores) as (base, pid),
    ):
        owner = sign_up(base)
        inbox = create_inbox(base, owner, "api", assistant_enabled=False)
        key = api(
            base,
            "POST",
            "/api/v1/api-keys",
            {"name": "bench", "scopes": ["conversations.read", "conversations.reply"]},
            owner,
        )["key"]
        host, port = base.removeprefix("http://").split(":")
        cfg = {
            "host": host,
            "port": port,
            "path": f"/api/v1/inboxes/{inbox['id']}/messages",
            "inbox_id": inbox["id"],
            "api_key": key,
            "run": f"r{int(time.time())}",
            "concurrency": args.concurrency,
            "duration": args.duration,
            "warmup": args.warmup,
            "server_pid": pid,
        }
        script = str(Path(__file__).resolve())
        r = run_json_child([script, "--load"], cfg, generator_cores, args.warmup + args.duration + 120)
    p = r["published"]
    print(
        f"  {'frontdesk POST .../messages':<28} {r['rps']:>9.0f} msg/s   p50 {r['p50_ms']:6.2f} ms   "
        f"p99 {r['p99_ms']:6.2f} ms   non-2xx {r['non_2xx']} {r['statuses'] or ''}  "
        f"server CPU {r['server_cpu']:4.0%}   generator CPU {r['generator_cpu']:4.0%}",
        flush=True,
    )
    print(
        f"  {'':<28} published: {p['count']} of {r['requests']} reached the inbox socket, "
        f"POST start -> event p50 {p['p50_ms']:.2f} ms  p99 {p['p99_ms']:.2f} ms"
    )
    ratio = r["rps"] / hello["rps"] if hello["rps"] else 0.0
    print(f"  ratio ingest : hello-world = {ratio:.1%}")
    print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps({"hello": hello, "ingest": r, "ratio": ratio, "machine": machine()}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--load":
        sys.exit(load_main())
    sys.exit(main())
