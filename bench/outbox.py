"""Outbound WhatsApp throughput through the durable outbox, against a Graph API with 50 ms latency.

``frontdesk serve`` (SQLite, or PostgreSQL with ``--backend postgres``) sends to the sandbox Graph API
(``frontdesk.channels.whatsapp.sandbox``, its own process, every send delayed by ``--latency``).
100 customers write in; then an agent's 5 replies to each (500 messages) are posted through the
API as fast as it takes them. Measured: replies stored per second (the API's side), and messages
sent per second from the first reply until the outbox has sent them all (each conversation's
messages go out one after another, in order; conversations go out in parallel).

The baseline is the same number of sends made straight to the sandbox with pywa_async, 32 at a
time (the server's default job concurrency): what the fake API allows at this latency, without a
database, jobs or ordering.

Run: ``.venv/bin/python bench/outbox.py [--conversations 100] [--per-conversation 5] [--latency 0.05]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from http_baseline import (
    PYTHON,
    ROOT,
    api,
    free_port,
    machine,
    scratch_postgres,
    sign_up,
    stop,
    wait_http,
)
from widget_fanout import bench_env, create_inbox

from frontdesk.channels.whatsapp.sandbox import Sandbox


@contextlib.contextmanager
def serve_frontdesk(env: dict[str, str], cores: set[int] | None = None) -> Iterator[tuple[str, int]]:
    """``frontdesk serve`` as an operator runs it, given time to start on a busy machine."""
    import os

    from http_baseline import free_port, frontdesk_bin, stop, wait_http

    port = free_port()
    subprocess.run([frontdesk_bin(), "migrate"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen(
        [frontdesk_bin(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/health", timeout=180)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        stop(proc)


SANDBOX = """
import sys, uvicorn
from frontdesk.channels.whatsapp.sandbox import Sandbox
port, latency = int(sys.argv[1]), float(sys.argv[2])
sb = Sandbox(base_url=f"http://127.0.0.1:{port}", latency=latency, auto_status=False)
uvicorn.run(sb.app(), host="127.0.0.1", port=port, log_level="warning")
"""


async def _direct(base: str, n: int, concurrency: int) -> float:
    import httpx
    from pywa_async import WhatsApp

    sb = Sandbox()
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as session:
        wa = WhatsApp(phone_id=sb.phone_number_id, token=sb.access_token, session=session, api_version="23.0")
        session.base_url = f"{base}/v23.0"

        async def one(i: int) -> None:
            async with limit:
                await wa.api.send_message(
                    sender=sb.phone_number_id,
                    to=f"1555{i:07d}",
                    recipient=None,
                    recipient_type="individual",
                    typ="text",
                    msg={"body": f"direct {i}"},
                )

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return n / (time.perf_counter() - started)


async def _counts(db_url: str) -> dict[str, int]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT status, count(*) FROM outbox_items GROUP BY status"))).all()
    finally:
        await engine.dispose()
    return {str(s): int(c) for s, c in rows}


async def _order_ok(db_url: str) -> bool:
    """Within each conversation, send times follow the messages' order."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT conversation_id, sent_at FROM outbox_items ORDER BY conversation_id, created_at, id")
                )
            ).all()
    finally:
        await engine.dispose()
    last: dict[Any, Any] = {}
    for conv, sent_at in rows:
        if conv in last and sent_at < last[conv]:
            return False
        last[conv] = sent_at
    return True


async def _replies(base: str, headers: dict[str, str], convs: list[str], per: int) -> float:
    import httpx

    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:

        async def conversation(conv: str) -> None:
            for k in range(per):
                r = await client.post(f"/api/v1/conversations/{conv}/messages", json={"content": f"reply {k}"})
                r.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(conversation(c) for c in convs))
        return len(convs) * per / (time.perf_counter() - started)


def run(db_url: str, args: argparse.Namespace, graph: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = bench_env(Path(tmp), FRONTDESK_DATABASE_URL=db_url, FRONTDESK_WHATSAPP_GRAPH_URL=graph)
        with serve_frontdesk(env) as (base, _pid):
            owner = sign_up(base)
            me = api(base, "GET", "/api/v1/me", None, owner)
            owner["X-Organization-Id"] = me["organization_id"]
            inbox = create_inbox(base, owner, "whatsapp", assistant_enabled=False)
            sb = Sandbox()
            api(
                base,
                "PATCH",
                f"/api/v1/inboxes/{inbox['id']}/whatsapp",
                {
                    "phone_number_id": sb.phone_number_id,
                    "access_token": sb.access_token,
                    "app_secret": sb.app_secret,
                    "verify_token": "bench-verify-token",
                },
                owner,
            )
            import httpx

            with httpx.Client(base_url=base, timeout=30) as client:
                for i in range(args.conversations):
                    body, headers = sb.signed(sb.customer_message(f"1555{i:07d}", "hello"))
                    client.post("/api/v1/channels/whatsapp/webhook", content=body, headers=headers).raise_for_status()
            convs: list[str] = []
            for _ in range(600):
                page = api(base, "GET", "/api/v1/conversations?per_page=200&status=pending&status=open", None, owner)
                convs = [c["id"] for c in page["items"]]
                if len(convs) >= args.conversations:
                    break
                time.sleep(0.2)
            started = time.perf_counter()
            stored_rps = asyncio.run(_replies(base, owner, convs, args.per_conversation))
            total = len(convs) * args.per_conversation
            counts: dict[str, int] = {}
            while time.perf_counter() - started < args.timeout:
                counts = asyncio.run(_counts(db_url))
                if counts.get("sent", 0) + counts.get("failed", 0) >= total:
                    break
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
            in_order = asyncio.run(_order_ok(db_url))
    return {
        "messages": total,
        "stored_rps": stored_rps,
        "sent_rps": counts.get("sent", 0) / elapsed,
        "counts": counts,
        "in_order": in_order,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--per-conversation", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--json")
    args = parser.parse_args()
    port = free_port()
    proc = subprocess.Popen([PYTHON, "-c", SANDBOX, str(port), str(args.latency)], cwd=ROOT)
    graph = f"http://127.0.0.1:{port}"
    print(f"WhatsApp outbound through the outbox, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(
        f"  sandbox latency {args.latency * 1000:.0f} ms, "
        f"{args.conversations} conversations x {args.per_conversation} replies"
    )
    try:
        wait_http(graph + "/")
        n = args.conversations * args.per_conversation
        baseline = asyncio.run(_direct(graph, n, 32))
        print(f"  {'direct pywa_async, 32 at a time (baseline)':<44} {baseline:8.0f} sends/s", flush=True)
        if args.backend == "postgres":
            with scratch_postgres() as url:
                row = run(url, args, graph)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                row = run(f"sqlite+aiosqlite:///{tmp}/bench.db", args, graph)
    finally:
        stop(proc)
    print(
        f"  {'frontdesk outbox, ' + args.backend:<44} {row['sent_rps']:8.0f} sends/s   "
        f"(replies stored at {row['stored_rps']:.0f}/s; {row['counts']}; in order per conversation: {row['in_order']})"
    )
    print(f"  outbox / direct: {row['sent_rps'] / baseline:.1%}")
    if args.json:
        Path(args.json).write_text(json.dumps({"baseline": baseline, **row}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
