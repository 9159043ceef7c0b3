"""WhatsApp webhook ingest: signed deliveries accepted (stored, 200) and processed (message visible) per second.

``frontdesk serve`` runs as an operator runs it, on SQLite and then on a scratch PostgreSQL database,
with one WhatsApp inbox (answered by people, so one delivery is one stored message). A generator in
this process posts signed text-message deliveries, each with its own ``wamid``, from 500 customers,
over 32 keep-alive connections: the accept rate and its p50/p99 are what Meta sees. Processing runs
in the server's job workers; the processed rate is deliveries / (time from the first POST until the
last one is processed). Then 500 of the deliveries are replayed at once: every replay must answer
200 as a duplicate and the number of messages must not change.

The baseline is the bare ASGI hello-world of ``bench/http_baseline.py``, loaded the same way in the
same run. Goal (issue 5): 1,000 deliveries/s accepted on PostgreSQL with p99 under 100 ms.

Run: ``.venv/bin/python bench/whatsapp_ingest.py [--duration 10] [--concurrency 32] [--backends sqlite,postgres]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from http_baseline import ROOT, _percentile, api, cpus, machine, measure, scratch_postgres, serve_hello, sign_up
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


WEBHOOK = "/api/v1/channels/whatsapp/webhook"


async def _post(reader: Any, writer: Any, head: bytes, body: bytes, headers: dict[str, str]) -> int:
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
    writer.write(head + extra + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    response = await reader.readuntil(b"\r\n\r\n")
    lowered = response.lower()
    at = lowered.find(b"content-length:")
    length = int(lowered[at + 15 : lowered.find(b"\r\n", at)]) if at >= 0 else 0
    if length:
        await reader.readexactly(length)
    return int(response[9:12])


async def _load(base: str, sandbox: Sandbox, concurrency: int, duration: float, warmup: float) -> dict[str, Any]:
    host, port = base.removeprefix("http://").split(":")
    head = f"POST {WEBHOOK} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n".encode()
    latencies: list[float] = []
    bad: dict[int, int] = {}
    sent: list[tuple[bytes, dict[str, str]]] = []
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + duration

    async def worker(w: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        n = 0
        try:
            while time.perf_counter() < stop_at:
                n += 1
                customer = f"1555{random.randrange(500):07d}"
                body, headers = sandbox.signed(sandbox.customer_message(customer, f"question {w}-{n}", name="Bench"))
                began = time.perf_counter()
                status = await _post(reader, writer, head, body, headers)
                if status == 200:
                    sent.append((body, headers))
                else:
                    bad[status] = bad.get(status, 0) + 1
                if began >= measure_from:
                    latencies.append(time.perf_counter() - began)
        finally:
            writer.close()

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    ordered = sorted(latencies)
    return {
        "accepted": len(sent),
        "rps": len(ordered) / duration,
        "p50_ms": _percentile(ordered, 0.5) * 1000,
        "p99_ms": _percentile(ordered, 0.99) * 1000,
        "non_2xx": sum(bad.values()),
        "statuses": bad,
        "started": start,
        "bodies": sent,
    }


async def _counts(db_url: str) -> tuple[int, int, int]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            stored = (await conn.execute(text("SELECT count(*) FROM whatsapp_deliveries"))).scalar_one()
            done = (
                await conn.execute(text("SELECT count(*) FROM whatsapp_deliveries WHERE status <> 'received'"))
            ).scalar_one()
            messages = (await conn.execute(text("SELECT count(*) FROM messages WHERE direction = 'in'"))).scalar_one()
    finally:
        await engine.dispose()
    return int(stored), int(done), int(messages)


async def _replay(base: str, bodies: list[tuple[bytes, dict[str, str]]], concurrency: int) -> dict[str, int]:
    import httpx

    sample = random.sample(bodies, min(500, len(bodies)))
    out = {"replayed": len(sample), "ok": 0, "duplicates": 0}
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def one(body: bytes, headers: dict[str, str]) -> None:
            async with limit:
                r = await client.post(WEBHOOK, content=body, headers=headers)
            if r.status_code == 200:
                out["ok"] += 1
                out["duplicates"] += int(r.json()["duplicates"])

        await asyncio.gather(*(one(b, h) for b, h in sample))
    return out


def run_backend(label: str, db_url: str, args: argparse.Namespace, server_cores: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = bench_env(Path(tmp), FRONTDESK_DATABASE_URL=db_url)
        with serve_frontdesk(env, cores=server_cores) as (base, _pid):
            owner = sign_up(base)
            me = api(base, "GET", "/api/v1/me", None, owner)
            owner["X-Organization-Id"] = me["organization_id"]
            inbox = create_inbox(base, owner, "whatsapp", assistant_enabled=False)
            sandbox = Sandbox(phone_number_id=f"9{uuid.uuid4().int % 10**12}")
            api(
                base,
                "PATCH",
                f"/api/v1/inboxes/{inbox['id']}/whatsapp",
                {
                    "phone_number_id": sandbox.phone_number_id,
                    "access_token": sandbox.access_token,
                    "app_secret": sandbox.app_secret,
                    "verify_token": "bench-verify-token",
                },
                owner,
            )
            result = asyncio.run(_load(base, sandbox, args.concurrency, args.duration, args.warmup))
            deadline = time.perf_counter() + args.process_timeout
            stored = done = messages = 0
            while time.perf_counter() < deadline:
                stored, done, messages = asyncio.run(_counts(db_url))
                if done >= stored:
                    break
                time.sleep(0.2)
            processed_at = time.perf_counter()
            replay = asyncio.run(_replay(base, result.pop("bodies"), args.concurrency))
            time.sleep(1.0)
            stored_after, _, messages_after = asyncio.run(_counts(db_url))
    processed_rps = done / (processed_at - result.pop("started"))
    row = {
        "label": label,
        **result,
        "stored": stored,
        "processed": done,
        "processed_rps": processed_rps,
        "messages": messages,
        **replay,
        "duplicates_created": (stored_after - stored) + (messages_after - messages),
    }
    print(
        f"  {label:<28} {row['rps']:>9.0f} accepted/s   p50 {row['p50_ms']:6.2f} ms   p99 {row['p99_ms']:6.2f} ms   "
        f"non-2xx {row['non_2xx']}   processed {done}/{stored} at {processed_rps:.0f}/s   "
        f"replay: {replay['duplicates']}/{replay['replayed']} duplicates, {row['duplicates_created']} new rows",
        flush=True,
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--process-timeout", type=float, default=180.0)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    server_cores, generator_cores = cpus()
    print(f"WhatsApp webhook ingest, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(
        f"  {args.concurrency} keep-alive connections, {args.warmup:g} s warm-up + {args.duration:g} s measured",
        flush=True,
    )
    rows = []
    with serve_hello(cores=server_cores) as (url, pid):
        baseline = measure("hello-world (baseline)", url + "/", pid, None, args, generator_cores)
    rows.append(baseline)
    backends = args.backends.split(",")
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(run_backend("frontdesk, SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", args, server_cores))
    if "postgres" in backends:
        with scratch_postgres() as url:
            rows.append(run_backend("frontdesk, PostgreSQL", url, args, server_cores))
    for row in rows[1:]:
        print(f"  {row['label']}: {row['rps'] / baseline['rps']:.1%} of the hello-world's requests/s")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
