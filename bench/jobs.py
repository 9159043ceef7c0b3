"""Durable jobs: 10,000 jobs due at the same instant, drained by the embedded worker.

The jobs are written first with a due time a few seconds ahead, then the runtime starts the way
``frontdesk serve`` starts it in embedded mode (sweeper plus in-memory taskiq broker). The handler
does nothing but note when it started, so the figures are the cost of the machinery itself: claiming
under a lease, handing ids to the broker, re-checking the lease and marking rows done.

Figures: jobs per second from the due time to the last row marked done, and the lag between a job's
due time and its handler starting (p50, p99, max). On SQLite always; on PostgreSQL too when it
answers on 127.0.0.1:5432 (a scratch database is created and dropped).

Run: ``.venv/bin/python bench/jobs.py [--jobs 10000]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_baseline import machine
from sqlalchemy import func, insert, select, update

from frontdesk.config import Settings
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import DONE, Job, JobContext, job_handler
from frontdesk.kit.logging import configure_logging
from frontdesk.kit.migrate import upgrade
from frontdesk.kit.runtime import Runtime

KIND = "bench.noop"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
LEAD_SECONDS = 0.25

_started: list[float] = []


@job_handler(KIND)
async def noop(ctx: JobContext) -> None:
    _started.append(time.time())


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def drain(database_url: str, data_dir: Path, count: int, max_seconds: float) -> dict[str, Any]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        data_dir=data_dir,
        secret_key="bench-secret-key-0123456789-0123456789-0123456789",
        log_level="WARNING",
    )
    runtime = Runtime(settings)
    _started.clear()
    try:
        import frontdesk.tasks  # noqa: F401  (the start-up import, paid before the clock runs)

        # Written far ahead, then made due together in one statement: however long the inserts
        # take, every job becomes due at the same instant, just before the worker starts.
        async with transaction(runtime.sessionmaker) as session:
            later = runtime.clock.now() + timedelta(hours=1)
            # The same rows ``enqueue`` writes, in one executemany: set-up time is not what we measure.
            rows = [
                {"kind": KIND, "payload": {"n": n}, "due_at": later, "max_attempts": settings.job_max_attempts}
                for n in range(count)
            ]
            await session.execute(insert(Job), rows)
        due_at = runtime.clock.now() + timedelta(seconds=LEAD_SECONDS)
        async with transaction(runtime.sessionmaker) as session:
            await session.execute(update(Job).where(Job.kind == KIND).values(due_at=due_at))
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        await runtime.start()
        deadline = due_at.timestamp() + max_seconds
        while True:
            async with transaction(runtime.sessionmaker) as session:
                done = await session.scalar(select(func.count()).select_from(Job).where(Job.status == DONE))
            finished = time.time()
            if done >= count or finished >= deadline:
                break
            await asyncio.sleep(0.02)
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        if done < count:
            # Cut the run short: ids already handed to the broker then find their row finished
            # and return at once, instead of running while the runtime shuts down.
            async with transaction(runtime.sessionmaker) as session:
                await session.execute(update(Job).where(Job.kind == KIND, Job.status != DONE).values(status=DONE))
    finally:
        stopping = time.time()
        await runtime.stop()
        if os.environ.get("BENCH_VERBOSE"):
            print(f"  (runtime stopped in {time.time() - stopping:.1f} s)", flush=True)
    due = due_at.timestamp()
    # Only starts seen before the clock stopped: shutting down lets a few more in.
    lags = [start - due for start in _started if start <= finished] or [float("nan")]
    elapsed = finished - due
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "jobs": count,
        "done": done,
        "seconds": elapsed,
        "jobs_per_second": done / elapsed,
        "lag_p50": _percentile(lags, 0.50),
        "lag_p99": _percentile(lags, 0.99),
        "lag_max": max(lags),
        "cpu_per_job_ms": 1000 * cpu / max(done, 1),
        "sweep_interval": settings.sweep_interval_seconds,
        "concurrency": settings.job_concurrency,
    }


def report(label: str, r: dict[str, Any]) -> None:
    print(
        f"  {label:<11} {r['done']}/{r['jobs']} jobs in {r['seconds']:6.2f} s = {r['jobs_per_second']:7.0f} jobs/s   "
        f"due-to-start lag p50 {r['lag_p50']:6.2f} s  p99 {r['lag_p99']:6.2f} s  max {r['lag_max']:6.2f} s   "
        f"CPU {r['cpu_per_job_ms']:.2f} ms/job",
        flush=True,
    )
    if r["done"] < r["jobs"]:
        projected = r["jobs"] / r["jobs_per_second"] if r["jobs_per_second"] else float("inf")
        print(
            f"  {'':<11} stopped at the {r['seconds']:.0f} s cap before the queue was empty: the lag figures cover "
            f"the started jobs only; draining all {r['jobs']} would take about {projected:.0f} s",
            flush=True,
        )


def postgres_answers() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--max-seconds", type=float, default=25.0, help="stop waiting after this long per backend (keeps the run short)"
    )
    args = parser.parse_args()
    configure_logging("WARNING", json=True)
    print(f"Jobs, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"  {args.jobs} no-op jobs due at once, embedded worker (sweeper + in-memory broker), defaults otherwise")
    with tempfile.TemporaryDirectory(prefix="fd-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/jobs.db"
        upgrade(url, verbose=False)
        report("SQLite", asyncio.run(drain(url, Path(tmp), args.jobs, args.max_seconds)))
        if args.skip_postgres or not postgres_answers():
            print("  PostgreSQL  not measured (nothing answers on 127.0.0.1:5432)")
            return 0
        name = f"fd_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        try:
            pg_url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
            upgrade(pg_url, verbose=False)
            report("PostgreSQL", asyncio.run(drain(pg_url, Path(tmp), args.jobs, args.max_seconds)))
        finally:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
