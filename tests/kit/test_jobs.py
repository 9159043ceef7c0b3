"""Durable jobs: after-commit hand-off, due times, retries, leases and concurrent sweepers.

The handlers below are registered through ``job_handler``, the same extension point every domain's
``tasks.py`` uses; the runtimes, sweepers and databases are the real ones.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from frontdesk.kit import jobs
from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import DEAD, DONE, PENDING, RUNNING, Job, JobContext, PermanentJobError, enqueue, job_handler
from frontdesk.kit.runtime import Runtime
from tests.conftest import make_settings

RUNS: Counter[str] = Counter()
GATES: dict[str, asyncio.Event] = {}
ENTERED: dict[str, asyncio.Event] = {}


@job_handler("test.record")
async def record_run(ctx: JobContext) -> None:
    RUNS[ctx.payload["key"]] += 1


@job_handler("test.fail")
async def always_fail(ctx: JobContext) -> None:
    RUNS[ctx.payload["key"]] += 1
    raise RuntimeError(f"attempt {ctx.attempt} failed")


@job_handler("test.flaky")
async def fail_once(ctx: JobContext) -> None:
    RUNS[ctx.payload["key"]] += 1
    if ctx.attempt == 1:
        raise ConnectionError("the remote hung up")


@job_handler("test.refuse")
async def refuse(ctx: JobContext) -> None:
    RUNS[ctx.payload["key"]] += 1
    raise PermanentJobError("the target is gone")


@job_handler("test.gate")
async def wait_for_gate(ctx: JobContext) -> None:
    """Runs until the test opens its gate: a handler still busy while time passes."""
    key = ctx.payload["key"]
    ENTERED.setdefault(key, asyncio.Event()).set()
    await asyncio.wait_for(GATES[key].wait(), timeout=30)
    RUNS[key] += 1


def new_key() -> str:
    return uuid.uuid4().hex


async def make_runtime(db_url: str, tmp_path: Path, clock: Any = None, **overrides: Any) -> Runtime:
    import frontdesk.tasks  # noqa: F401  (the real handlers too, as every process has them)

    rt = Runtime(make_settings(db_url, tmp_path, **overrides), clock=clock)
    await rt.broker.startup()
    return rt


@pytest.fixture
async def rt(db_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """A runtime whose sweeps the test drives by hand, on a clock the test moves."""
    runtime = await make_runtime(db_url, tmp_path, clock=FrozenClock())
    yield runtime
    await runtime.stop()


@pytest.fixture
async def live_rt(db_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """A running runtime whose sweeper polls only every 30 s, so prompt runs prove the commit woke it."""
    runtime = await make_runtime(db_url, tmp_path, sweep_interval_seconds=30)
    await runtime.start()
    await asyncio.sleep(0.1)  # let the start-up sweep pass, so the sweeper is asleep on its interval
    yield runtime
    await runtime.stop()


async def add_job(runtime: Runtime, kind: str, key: str, **options: Any) -> uuid.UUID:
    async with transaction(runtime.sessionmaker) as session:
        job = enqueue(session, kind, {"key": key}, **options)
    return job.id


async def load(runtime: Runtime, job_id: uuid.UUID) -> Job:
    async with transaction(runtime.sessionmaker) as session:
        job = await session.get(Job, job_id)
        assert job is not None
        return job


async def jobs_with_key(runtime: Runtime, key: str) -> list[Job]:
    async with transaction(runtime.sessionmaker) as session:
        rows = (await session.scalars(select(Job).where(Job.kind.like("test.%")))).all()
    return [j for j in rows if j.payload.get("key") == key]


async def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def claim_one(runtime: Runtime) -> tuple[uuid.UUID, uuid.UUID]:
    claimed = await runtime.sweeper.claim()
    assert len(claimed) == 1, claimed
    return claimed[0]


# ------------------------------------------------------------------ hand-off after commit


async def test_a_rolled_back_enqueue_leaves_no_row_and_never_runs(live_rt: Runtime) -> None:
    key = new_key()
    with pytest.raises(RuntimeError, match="boom"):
        async with transaction(live_rt.sessionmaker) as session:
            enqueue(session, "test.record", {"key": key})
            await session.flush()
            raise RuntimeError("boom")
    assert await jobs_with_key(live_rt, key) == []
    live_rt.sweeper.wake()
    assert await live_rt.sweeper.sweep_once() == 0
    await asyncio.sleep(0.2)
    assert RUNS[key] == 0


async def test_a_job_is_handed_off_only_after_commit_which_wakes_the_sweeper(live_rt: Runtime) -> None:
    key = new_key()
    async with transaction(live_rt.sessionmaker) as session:
        enqueue(session, "test.record", {"key": key})
        await session.flush()
        # Even a sweep forced now cannot see the row: it is not committed.
        live_rt.sweeper.wake()
        await asyncio.sleep(0.3)
        assert RUNS[key] == 0
    # The sweeper polls every 30 s; running well before that means the commit woke it.
    await wait_until(lambda: RUNS[key] == 1, timeout=10)
    (job,) = await jobs_with_key(live_rt, key)
    for _ in range(250):
        if job.status == DONE:
            break
        await asyncio.sleep(0.02)
        job = await load(live_rt, job.id)
    assert job.status == DONE and job.attempts == 1


async def test_a_job_enqueued_by_a_request_runs_after_the_response(client: Any, runtime: Runtime) -> None:
    """Through the HTTP session dependency: a password reset's mail job commits with the request."""
    from tests.conftest import sign_up

    account = await sign_up(client)
    r = await client.post("/api/v1/auth/password-reset", json={"email": account.email})
    assert r.status_code in (200, 202, 204), r.text
    from frontdesk.mail.models import MailMessage

    async def mail_status() -> str | None:
        async with transaction(runtime.sessionmaker) as session:
            row = await session.scalar(
                select(MailMessage).where(MailMessage.to_address == account.email, MailMessage.kind == "password_reset")
            )
            return row.status if row else None

    for _ in range(250):
        if await mail_status() == "logged":
            break
        await asyncio.sleep(0.02)
    assert await mail_status() == "logged"


# ------------------------------------------------------------------ due times


async def test_a_future_job_waits_for_its_time_and_then_runs_once(rt: Runtime) -> None:
    clock: FrozenClock = rt.clock  # type: ignore[assignment]
    key = new_key()
    job_id = await add_job(rt, "test.record", key, due_at=clock.now() + timedelta(minutes=10))
    assert await rt.sweeper.claim() == []
    clock.advance(minutes=9, seconds=59)
    assert await rt.sweeper.claim() == []
    clock.advance(seconds=1)
    claimed_id, token = await claim_one(rt)
    assert claimed_id == job_id
    assert await jobs.execute(rt, job_id, token) == DONE
    clock.advance(hours=1)
    assert await rt.sweeper.claim() == []
    assert RUNS[key] == 1
    job = await load(rt, job_id)
    assert job.status == DONE and job.attempts == 1 and job.finished_at == clock.now() - timedelta(hours=1)


# ------------------------------------------------------------------ failures


async def test_a_failing_job_backs_off_then_dies_after_max_attempts(rt: Runtime) -> None:
    clock: FrozenClock = rt.clock  # type: ignore[assignment]
    key = new_key()
    job_id = await add_job(rt, "test.fail", key, max_attempts=3)
    for attempt, wait in ((1, 2), (2, 4)):
        _, token = await claim_one(rt)
        assert await jobs.execute(rt, job_id, token) == PENDING
        job = await load(rt, job_id)
        assert job.attempts == attempt
        assert job.due_at == clock.now() + timedelta(seconds=wait)
        assert f"attempt {attempt} failed" in (job.last_error or "")
        clock.advance(seconds=wait - 1)
        assert await rt.sweeper.claim() == [], "retried before its backoff elapsed"
        clock.advance(seconds=1)
    _, token = await claim_one(rt)
    assert await jobs.execute(rt, job_id, token) == DEAD
    job = await load(rt, job_id)
    assert job.status == DEAD and job.attempts == 3 and "attempt 3 failed" in (job.last_error or "")
    clock.advance(days=1)
    assert await rt.sweeper.claim() == []
    assert RUNS[key] == 3


async def test_a_job_that_fails_once_succeeds_on_retry(rt: Runtime) -> None:
    clock: FrozenClock = rt.clock  # type: ignore[assignment]
    key = new_key()
    job_id = await add_job(rt, "test.flaky", key)
    _, token = await claim_one(rt)
    assert await jobs.execute(rt, job_id, token) == PENDING
    clock.advance(seconds=2)
    _, token = await claim_one(rt)
    assert await jobs.execute(rt, job_id, token) == DONE
    job = await load(rt, job_id)
    assert (job.status, job.attempts, RUNS[key]) == (DONE, 2, 2)


async def test_a_permanent_error_kills_the_job_at_once(rt: Runtime) -> None:
    clock: FrozenClock = rt.clock  # type: ignore[assignment]
    key = new_key()
    job_id = await add_job(rt, "test.refuse", key, max_attempts=8)
    _, token = await claim_one(rt)
    assert await jobs.execute(rt, job_id, token) == DEAD
    clock.advance(days=1)
    assert await rt.sweeper.claim() == []
    job = await load(rt, job_id)
    assert job.status == DEAD and job.attempts == 1 and "the target is gone" in (job.last_error or "")
    assert RUNS[key] == 1


async def test_a_job_of_an_unknown_kind_dies_instead_of_looping(rt: Runtime) -> None:
    job_id = await add_job(rt, "test.nobody_handles_this", new_key())
    _, token = await claim_one(rt)
    assert await jobs.execute(rt, job_id, token) == DEAD
    assert "no handler" in ((await load(rt, job_id)).last_error or "")


# ------------------------------------------------------------------ leases


async def test_a_job_whose_holder_died_is_reclaimed_after_the_lease_and_the_stale_holder_is_ignored(
    rt: Runtime,
) -> None:
    clock: FrozenClock = rt.clock  # type: ignore[assignment]
    lease = rt.settings.job_lease_seconds
    key = new_key()
    GATES[key] = asyncio.Event()
    job_id = await add_job(rt, "test.gate", key)

    # Holder A claims and starts the handler, then "dies": its process stops renewing the lease.
    _, token_a = await claim_one(rt)
    holder_a = asyncio.create_task(jobs.execute(rt, job_id, token_a))
    await asyncio.wait_for(ENTERED.setdefault(key, asyncio.Event()).wait(), timeout=10)
    clock.advance(seconds=lease - 1)
    assert await rt.sweeper.claim() == [], "reclaimed while the lease still ran"
    clock.advance(seconds=2)

    # Holder B gets the row with a new token and the next attempt number.
    claimed_id, token_b = await claim_one(rt)
    assert claimed_id == job_id and token_b != token_a
    job = await load(rt, job_id)
    assert job.status == RUNNING and job.attempts == 2 and job.lease_token == token_b

    # A finishes late: its outcome is dropped, and B's lease is untouched.
    GATES[key].set()
    assert await holder_a == "stale"
    job = await load(rt, job_id)
    assert job.status == RUNNING and job.lease_token == token_b

    # A stale token cannot start the job again either.
    assert await jobs.execute(rt, job_id, token_a) == "stale"
    assert await jobs.execute(rt, job_id, token_b) == DONE
    job = await load(rt, job_id)
    assert job.status == DONE and job.attempts == 2
    assert RUNS[key] == 2  # A's run and B's: why handlers must be idempotent


async def test_a_claimed_job_never_started_is_claimed_again_after_the_lease(rt: Runtime) -> None:
    clock: FrozenClock = rt.clock  # type: ignore[assignment]
    key = new_key()
    job_id = await add_job(rt, "test.record", key)
    _, token_a = await claim_one(rt)  # the id was lost with the process that held it
    clock.advance(seconds=rt.settings.job_lease_seconds + 1)
    _, token_b = await claim_one(rt)
    assert await jobs.execute(rt, job_id, token_a) == "stale"
    assert await jobs.execute(rt, job_id, token_b) == DONE
    assert RUNS[key] == 1


async def test_a_job_whose_holders_keep_dying_is_buried_at_max_attempts(rt: Runtime) -> None:
    clock: FrozenClock = rt.clock  # type: ignore[assignment]
    job_id = await add_job(rt, "test.record", new_key(), max_attempts=2)
    for _ in range(2):
        await claim_one(rt)
        clock.advance(seconds=rt.settings.job_lease_seconds + 1)
    assert await rt.sweeper.claim() == []
    job = await load(rt, job_id)
    assert job.status == DEAD and job.attempts == 2 and "lease expired" in (job.last_error or "")


async def test_a_slow_handler_keeps_its_lease_while_it_runs(db_url: str, tmp_path: Path) -> None:
    """The lease is renewed while the handler works, so only a stopped process lets it lapse."""
    runtime = await make_runtime(db_url, tmp_path, job_lease_seconds=1)
    try:
        key = new_key()
        GATES[key] = asyncio.Event()
        job_id = await add_job(runtime, "test.gate", key)
        _, token = await claim_one(runtime)
        holder = asyncio.create_task(jobs.execute(runtime, job_id, token))
        loop = asyncio.get_running_loop()
        until = loop.time() + 1.8  # well past the 1 s lease
        while loop.time() < until:
            assert await runtime.sweeper.claim() == [], "a busy holder lost its job"
            await asyncio.sleep(0.1)
        GATES[key].set()
        assert await holder == DONE
        job = await load(runtime, job_id)
        assert job.attempts == 1 and RUNS[key] == 1
    finally:
        await runtime.stop()


async def test_a_failed_hand_off_gives_the_claim_back(rt: Runtime) -> None:
    async def broker_down(job_id: uuid.UUID, token: uuid.UUID) -> None:
        raise ConnectionError("broker unreachable")

    key = new_key()
    job_id = await add_job(rt, "test.record", key)
    assert await jobs.Sweeper(rt, broker_down).sweep_once() == 0
    job = await load(rt, job_id)
    assert job.status == PENDING and job.attempts == 0 and job.lease_token is None
    _, token = await claim_one(rt)
    assert await jobs.execute(rt, job_id, token) == DONE and RUNS[key] == 1


async def test_stopping_a_runtime_lets_a_running_job_finish(db_url: str, tmp_path: Path) -> None:
    runtime = await make_runtime(db_url, tmp_path)
    await runtime.start()
    key = new_key()
    GATES[key] = asyncio.Event()
    job_id = await add_job(runtime, "test.gate", key)
    await asyncio.wait_for(ENTERED.setdefault(key, asyncio.Event()).wait(), timeout=10)
    stopping = asyncio.create_task(runtime.stop())
    await asyncio.sleep(0.2)
    assert not stopping.done(), "stop did not wait for the running job"
    GATES[key].set()
    await asyncio.wait_for(stopping, timeout=10)
    check = await make_runtime(db_url, tmp_path / "check")
    try:
        job = await load(check, job_id)
        assert (job.status, job.attempts, RUNS[key]) == (DONE, 1, 1)
    finally:
        await check.stop()


# ------------------------------------------------------------------ concurrent sweepers


async def test_two_sweepers_racing_never_claim_the_same_job(db_url: str, tmp_path: Path) -> None:
    """Two processes' runtimes on one database: every due job is claimed and run exactly once."""
    first = await make_runtime(db_url, tmp_path / "a")
    second = await make_runtime(db_url, tmp_path / "b")
    key_prefix = new_key()
    # SQLite serializes writers, so its race is the easy one; PostgreSQL gets the full herd.
    total = 500 if first.settings.database_url.startswith("postgresql") else 150
    try:
        async with transaction(first.sessionmaker) as session:
            for n in range(total):
                enqueue(session, "test.record", {"key": f"{key_prefix}-{n}"})
        claims: dict[str, list[uuid.UUID]] = {"first": [], "second": []}

        async def sweep(name: str, runtime: Runtime) -> None:
            idle = 0
            while idle < 3:  # the other may hold rows locked for a moment; look again before stopping
                batch = await runtime.sweeper.claim(limit=25)
                if not batch:
                    idle += 1
                    await asyncio.sleep(0.01)
                    continue
                idle = 0
                assert len(batch) <= 25
                claims[name] += [job_id for job_id, _ in batch]
                # Run the batch concurrently, as a worker would, while the other side keeps claiming.
                outcomes = await asyncio.gather(*(jobs.execute(runtime, job_id, token) for job_id, token in batch))
                assert set(outcomes) == {DONE}

        await asyncio.gather(sweep("first", first), sweep("second", second))
        everything = claims["first"] + claims["second"]
        assert len(everything) == total
        assert len(set(everything)) == total, "a job was claimed twice"
        assert claims["first"] and claims["second"], "no race happened"
        assert all(RUNS[f"{key_prefix}-{n}"] == 1 for n in range(total))
        async with transaction(first.sessionmaker) as session:
            statuses = Counter((await session.scalars(select(Job.status).where(Job.id.in_(everything)))).all())
        assert statuses == {DONE: total}
    finally:
        await first.stop()
        await second.stop()


# ------------------------------------------------------------------ distributed hand-off


@pytest.mark.redis
async def test_a_server_s_commit_wakes_a_worker_which_runs_the_job_from_redis(db_url: str, tmp_path: Path) -> None:
    """Server and worker runtimes as in distributed mode: the server never sweeps, the worker sweeps
    only every 30 s, so a prompt run proves the commit's nudge crossed Redis and the id travelled
    through the Redis job list."""
    import redis.asyncio as aioredis

    from frontdesk.kit.events import RedisEventBus
    from tests.conftest import REDIS_URL

    queue = f"frontdesk:test:{uuid.uuid4().hex}"
    shared: dict[str, Any] = {"redis_url": REDIS_URL, "job_queue": queue}
    server = await make_runtime(db_url, tmp_path / "server", **shared)
    worker = await make_runtime(db_url, tmp_path / "worker", sweep_interval_seconds=30, **shared)
    probe = aioredis.from_url(REDIS_URL)
    try:
        assert not server.settings.sweeper_enabled
        await server.start()
        await worker.start(sweep=True, receive=True)
        channel = RedisEventBus.PREFIX + worker.nudge_topic

        async def worker_listens() -> bool:
            return int((await probe.pubsub_numsub(channel))[0][1]) >= 1

        for _ in range(250):
            if await worker_listens():
                break
            await asyncio.sleep(0.02)
        assert await worker_listens()
        await asyncio.sleep(0.1)  # the worker's start-up sweep has passed; it now sleeps for 30 s

        key = new_key()
        job_id = await add_job(server, "test.record", key)
        await wait_until(lambda: RUNS[key] == 1, timeout=10)
        for _ in range(250):
            if (await load(server, job_id)).status == DONE:
                break
            await asyncio.sleep(0.02)
        assert (await load(server, job_id)).status == DONE
    finally:
        await server.stop()
        await worker.stop()
        await probe.delete(queue)
        await probe.aclose()
