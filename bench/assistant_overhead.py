"""Overhead of the assistant's model layer around an LLM that answers instantly.

A fake OpenAI-compatible server (its own process, on loopback) answers every chat completion at once
with a response recorded from the live API (``../shared/corpora/llm_api``). In the same run, with the
same concurrency and number of requests, two callers talk to it:

* baseline: the official OpenAI SDK, one shared client, posting the chat completion directly;
* pipeline: what an assistant turn does around the model, per request: a database session,
  ``registry.model_for`` (the organization's provider rows and its budget), a pydantic-ai agent run
  through the ``FallbackModel`` (a provider built per use, with its own HTTP client), the usage rows
  written with their cost, and the commit.

Figures: requests/s and p50/p99 latency of each, and the ratio pipeline/baseline. The gap is the price
of building providers per use, pydantic-ai's agent graph and the usage bookkeeping; next to a real LLM
(hundreds of milliseconds a call) it is small, which is what the ratio is for.

Run: ``.venv/bin/python bench/assistant_overhead.py [--requests 400] [--concurrency 8]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_baseline import PYTHON, ROOT, _pin, cpus, free_port, machine, stop

RECORDED = ROOT.parent / "shared" / "corpora" / "llm_api" / "openai_python" / "chat_completions_json"


# ---------------------------------------------------------------- the instant fake LLM


def serve_fake(port: int) -> None:
    import uvicorn

    body = (RECORDED / "test_parse_nothing.json").read_bytes()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while True:  # drain the request body
            message = await receive()
            if not message.get("more_body"):
                break
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


def wait_port(port: int, timeout: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the fake LLM did not start")


# ---------------------------------------------------------------- measuring


async def drive(n: int, concurrency: int, call: Any) -> tuple[float, list[float]]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(i: int) -> None:
        async with gate:
            started = time.perf_counter()
            await call(i)
            latencies.append((time.perf_counter() - started) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return n / (time.perf_counter() - began), sorted(latencies)


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


async def run(args: argparse.Namespace, base_url: str) -> None:
    from openai import AsyncOpenAI
    from pydantic_ai import Agent

    from frontdesk.assistant import usage
    from frontdesk.assistant.provider_models import AiProviderConfig
    from frontdesk.assistant.providers.registry import model_for
    from frontdesk.config import Settings
    from frontdesk.kit.db import transaction
    from frontdesk.kit.migrate import upgrade_async
    from frontdesk.kit.runtime import Runtime
    from frontdesk.orgs.models import Organization

    workdir = Path(tempfile.mkdtemp(prefix="fd-bench-ai-"))
    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    await upgrade_async(url)
    settings = Settings(
        _env_file=None,
        database_url=url,
        data_dir=workdir,
        secret_key="bench-secret-key-0123456789-0123456789",
        log_level="WARNING",
        ai_allow_private_base_urls=True,
    )
    rt = Runtime(settings)
    async with transaction(rt.sessionmaker) as session:
        org = Organization(name="Bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
        session.add(org)
        await session.flush()
        sealed = rt.secrets.encrypt("sk-bench-0123456789")
        session.add(
            AiProviderConfig(
                organization_id=org.id,
                name="Fake",
                kind="compatible",
                base_url=base_url,
                api_key_encrypted=sealed,
                default_model="gpt-4o",
                timeout_seconds=10,
                max_retries=0,
                position=0,
                enabled=True,
                options={},
            )
        )
        org_id = org.id
    assistant = SimpleNamespace(provider="auto", model_name="gpt-4o")
    question = "What's the weather like in SF?"

    client = AsyncOpenAI(base_url=base_url, api_key="sk-bench-0123456789", max_retries=0)

    async def baseline(i: int) -> None:
        await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}])

    async def pipeline(i: int) -> None:
        # Reads on the read engine, the model call outside any transaction, then one short write: on
        # SQLite a write transaction held across a model call would serialize every conversation.
        async with rt.read_sessionmaker() as reader:
            model = await model_for(reader, rt, org_id, assistant)
        result = await Agent(model, instructions="You are the front desk.").run(question)
        async with transaction(rt.sessionmaker) as session:
            await usage.record_messages(
                session,
                organization_id=org_id,
                conversation_id=None,
                message_id=None,
                messages=result.new_messages(),
            )

    # Warm both paths (imports, connection pools, SQLite pages) before measuring.
    await drive(20, args.concurrency, baseline)
    await drive(20, args.concurrency, pipeline)
    rows = []
    for label, call in (("baseline (OpenAI SDK direct)", baseline), ("pipeline (model_for + agent + usage)", pipeline)):
        rps, lat = await drive(args.requests, args.concurrency, call)
        rows.append((label, rps, lat))
        print(
            f"  {label:<40} {rps:8.0f} req/s   p50 {pct(lat, 0.5):7.2f} ms   p99 {pct(lat, 0.99):7.2f} ms",
            flush=True,
        )
    ratio = rows[1][1] / rows[0][1]
    per_call = statistics.median(rows[1][2]) - statistics.median(rows[0][2])
    print(f"  ratio pipeline/baseline: {ratio:.2f}   added median latency per model call: {per_call:.2f} ms")
    async with transaction(rt.sessionmaker) as session:
        totals = await usage.totals(session, [org_id])
    print(f"  usage rows written: {totals.requests} requests, cost {totals.cost_micros / 1e6:.4f} USD")
    await client.close()
    await rt.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_fake(args.serve)
        return 0
    print(f"assistant overhead on {machine()}")
    server_cores, _ = cpus()
    port = free_port()
    proc = subprocess.Popen(
        [PYTHON, str(Path(__file__).resolve()), "--serve", str(port)], cwd=ROOT, preexec_fn=_pin(server_cores)
    )
    try:
        wait_port(port)
        asyncio.run(run(args, f"http://127.0.0.1:{port}/v1"))
    finally:
        stop(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
