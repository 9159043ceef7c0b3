"""Durable waits: 10,000 executions waiting, all due in the same instant; how late do they resume?

Each execution sits on a ``wait`` node (status ``waiting``, ``wait_until`` = T) with its resume job
booked for T, exactly what the engine writes when a wait starts; rows are inserted in bulk so set-up
time is not measured. The runtime then starts as ``frontdesk serve`` does (embedded sweeper and
in-memory broker). Figures: resume lag (the execution's finish time minus T) p50/p99/max, and
executions per second. Goal: p99 under 2 s. Baseline, from the same run: the no-op job drain of
``bench/jobs.py`` on the same rows count would be the floor; here the no-op handler is measured on a
tenth of the rows first.

Run: ``.venv/bin/python bench/flow_waits.py [--executions 10000] [--max-seconds 90]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from flow_steps import settings_for, world
from http_baseline import machine
from jobs import _percentile, _pg_admin, drain, postgres_answers
from sqlalchemy import func, insert, select, update

from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import Job
from frontdesk.kit.logging import configure_logging
from frontdesk.kit.migrate import upgrade
from frontdesk.kit.runtime import Runtime

GRAPH = {
    "start": "nap",
    "nodes": [
        {"id": "nap", "type": "wait", "mode": "duration", "amount": 1, "unit": "seconds"},
        {"id": "done", "type": "set_state", "name": "woke", "value_type": "boolean", "value": True},
    ],
    "edges": [{"source": "nap", "target": "done", "port": "next"}],
}
LEAD_SECONDS = 1.0


async def measure(url: str, data_dir: Path, count: int, max_seconds: float) -> dict[str, Any]:
    import frontdesk.tasks  # noqa: F401
    from frontdesk.flows.models import Flow, FlowExecution

    settings = settings_for(url, data_dir)
    runtime = Runtime(settings)
    try:
        flow_id, _ = await world(runtime, 0, GRAPH)
        later = runtime.clock.now() + timedelta(hours=1)
        async with transaction(runtime.sessionmaker) as session:
            flow = await session.get(Flow, flow_id)
            assert flow is not None
            org, version = flow.organization_id, flow.published_version_id
            ids = [uuid.uuid4() for _ in range(count)]
            now = runtime.clock.now()
            await session.execute(
                insert(FlowExecution),
                [
                    {
                        "id": i,
                        "organization_id": org,
                        "flow_id": flow_id,
                        "version_id": version,
                        "version_number": 1,
                        "status": "waiting",
                        "current_node": "nap",
                        "waiting_for": "time",
                        "wait_until": later,
                        "state": {},
                        "trigger": {},
                        "transcript": [],
                        "retries": 0,
                        "steps": 1,
                        "depth": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in ids
                ],
            )
            await session.execute(
                insert(Job),
                [
                    {
                        "kind": "flows.run",
                        "payload": {"execution_id": str(i)},
                        "due_at": later,
                        "organization_id": org,
                        "max_attempts": settings.job_max_attempts,
                        "dedupe_key": f"flows.run:{i}:1:wait",
                    }
                    for i in ids
                ],
            )
        due = runtime.clock.now() + timedelta(seconds=LEAD_SECONDS)
        async with transaction(runtime.sessionmaker) as session:
            await session.execute(update(Job).where(Job.kind == "flows.run").values(due_at=due))
            await session.execute(update(FlowExecution).values(wait_until=due))
        await runtime.start()
        deadline = due.timestamp() + max_seconds
        while True:
            async with transaction(runtime.sessionmaker) as session:
                done = await session.scalar(
                    select(func.count()).select_from(FlowExecution).where(FlowExecution.status == "completed")
                )
            if (done or 0) >= count or time.time() >= deadline:
                break
            await asyncio.sleep(0.1)
        async with transaction(runtime.sessionmaker) as session:
            finished = list(
                await session.scalars(select(FlowExecution.finished_at).where(FlowExecution.status == "completed"))
            )
    finally:
        await runtime.stop()
    lags = [(f - due).total_seconds() for f in finished if f is not None] or [float("nan")]
    return {
        "count": count,
        "done": len(finished),
        "p50": _percentile(lags, 0.5),
        "p99": _percentile(lags, 0.99),
        "max": max(lags),
        "per_second": len(finished) / max(max(lags), 1e-9),
    }


def report(label: str, r: dict[str, Any], floor: dict[str, Any]) -> None:
    print(
        f"  {label:<11} {r['done']}/{r['count']} resumed; lag after due p50 {r['p50']:6.2f} s  p99 {r['p99']:6.2f} s  "
        f"max {r['max']:6.2f} s  ({r['per_second']:5.0f} executions/s)   "
        f"no-op job floor {floor['jobs_per_second']:5.0f} jobs/s, "
        f"flows/no-op {r['per_second'] / max(floor['jobs_per_second'], 1e-9):.2f}x",
        flush=True,
    )
    if r["done"] < r["count"]:
        print(f"  {'':<11} stopped at the cap: the lag figures cover the resumed executions only", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executions", type=int, default=10_000)
    parser.add_argument("--max-seconds", type=float, default=90.0)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    configure_logging("WARNING", json=True)
    print(f"Flow waits, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"  {args.executions} executions on a wait node, all due at the same instant; embedded worker")
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    if not args.skip_postgres and postgres_answers():
        backends.append(("PostgreSQL", f"fd_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"))
    for label, pg_name in backends:
        with tempfile.TemporaryDirectory(prefix="fd-bench-") as tmp:
            if pg_name is None:
                url = f"sqlite+aiosqlite:///{tmp}/waits.db"
                floor_url = f"sqlite+aiosqlite:///{tmp}/floor.db"
            else:
                asyncio.run(_pg_admin(f'CREATE DATABASE "{pg_name}"'))
                asyncio.run(_pg_admin(f'CREATE DATABASE "{pg_name}_f"'))
                url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{pg_name}"
                floor_url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{pg_name}_f"
            try:
                upgrade(url, verbose=False)
                upgrade(floor_url, verbose=False)
                floor = asyncio.run(drain(floor_url, Path(tmp), max(args.executions // 10, 100), 30))
                report(label, asyncio.run(measure(url, Path(tmp), args.executions, args.max_seconds)), floor)
            finally:
                if pg_name is not None:
                    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
                    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}_f" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
