"""Jobs across real process deaths: ``frontdesk serve`` restarted, ``frontdesk worker`` killed with -9.

Mail is the job: it goes to a real SMTP server (aiosmtpd) on a loopback port, so "delivered exactly
once" is counted by the server that received it, not by our own bookkeeping.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from frontdesk.kit.clock import utcnow
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import DONE, PENDING, RUNNING, Job
from frontdesk.kit.runtime import Runtime
from frontdesk.mail import models as mail_models
from frontdesk.mail.service import queue_mail
from tests.conftest import REDIS_URL, make_settings, truncate_all
from tests.kit.processes import SmtpSink, eventually, frontdesk_env, spawn, spawn_server, wait_for_line, wait_healthy

pytestmark = pytest.mark.slow


async def queue_test_mail(runtime: Runtime, subject: str) -> uuid.UUID:
    async with transaction(runtime.sessionmaker) as session:
        message = queue_mail(session, to="customer@example.com", subject=subject, text="Hello from a job.")
    return message.id


async def mail_job(runtime: Runtime, mail_id: uuid.UUID) -> Job:
    async with transaction(runtime.sessionmaker) as session:
        jobs = (await session.scalars(select(Job).where(Job.kind == "mail.send"))).all()
    (job,) = [j for j in jobs if j.payload.get("mail_id") == str(mail_id)]
    return job


async def mail_status(runtime: Runtime, mail_id: uuid.UUID) -> str:
    async with transaction(runtime.sessionmaker) as session:
        row = await session.get(mail_models.MailMessage, mail_id)
        assert row is not None
        return row.status


async def test_a_job_due_in_the_future_survives_a_restart_and_runs_once(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "frontdesk.db"
    shutil.copyfile(sqlite_template, db)
    url = f"sqlite+aiosqlite:///{db}"
    smtp = SmtpSink().start()
    runtime = Runtime(make_settings(url, tmp_path / "test"))
    env = frontdesk_env(tmp_path, database_url=url, **smtp.env())
    procs = []
    try:
        mail_id = await queue_test_mail(runtime, "Due later")
        job = await mail_job(runtime, mail_id)
        async with transaction(runtime.sessionmaker) as session:
            await session.execute(update(Job).where(Job.id == job.id).values(due_at=utcnow() + timedelta(hours=1)))

        first = spawn_server("serve-1", env, tmp_path)
        procs.append(first)
        await wait_healthy(first)
        # The first server knows the job; it falls due in 3 s, and the server dies before then.
        due = utcnow() + timedelta(seconds=3)
        async with transaction(runtime.sessionmaker) as session:
            await session.execute(update(Job).where(Job.id == job.id).values(due_at=due))
        first.kill_hard()
        assert utcnow() < due, "the first server was killed too late to prove anything"
        job = await mail_job(runtime, mail_id)
        assert (job.status, job.attempts, smtp.count()) == (PENDING, 0, 0)

        second = spawn_server("serve-2", env, tmp_path)
        procs.append(second)
        await wait_healthy(second)
        await eventually(smtp.count, timeout=30, what="the mail to reach the SMTP server", procs=(second,))
        assert utcnow() >= due, "delivered before it was due"

        async def finished() -> bool:
            return (await mail_job(runtime, mail_id)).status == DONE

        await eventually(finished, timeout=10, what="the job to be marked done", procs=(second,))
        second.stop()  # a clean shutdown must not deliver it again either
        # uvicorn re-raises the SIGTERM it handled once it has shut down cleanly.
        assert second.popen.returncode in (0, -15), second.log()[-4000:]
        job = await mail_job(runtime, mail_id)
        assert (job.status, job.attempts) == (DONE, 1)
        assert await mail_status(runtime, mail_id) == mail_models.SENT
        assert smtp.count() == 1
        _, message = smtp.accepted[0]
        assert message["Subject"] == "Due later"
        assert message["Message-ID"] == f"<{mail_id}@frontdesk>"
    finally:
        for proc in procs:
            proc.stop()
        smtp.stop()
        await runtime.stop()


@pytest.mark.postgres
@pytest.mark.redis
async def test_a_killed_worker_s_job_is_taken_over_by_another_worker_after_the_lease(
    tmp_path: Path, pg_database: str
) -> None:
    await truncate_all(pg_database)
    lease = 2
    queue = f"frontdesk:test:{uuid.uuid4().hex}"
    settings: dict[str, Any] = {"redis_url": REDIS_URL, "job_queue": queue, "job_lease_seconds": lease}
    # The stalled delivery must outlast the test's waits, not end in an SMTP timeout and a retry.
    settings["smtp_timeout_seconds"] = 120
    smtp = SmtpSink(stall_first=True).start()
    runtime = Runtime(make_settings(pg_database, tmp_path / "test", **settings))
    env = frontdesk_env(tmp_path, database_url=pg_database, **settings, **smtp.env())
    procs = []
    try:
        first = spawn("worker-1", ["worker"], env, tmp_path)
        procs.append(first)
        await wait_for_line(first, "Frontdesk worker running")
        mail_id = await queue_test_mail(runtime, "Hand-over")

        # Worker 1 is inside the job, waiting for the SMTP server to answer.
        await eventually(smtp.stalled.is_set, timeout=30, what="worker 1 to start sending", procs=(first,))
        second = spawn("worker-2", ["worker"], env, tmp_path)
        procs.append(second)
        await wait_for_line(second, "Frontdesk worker running")
        # Both sweep now. Worker 1 renews its lease while it works, so worker 2 must leave the job alone
        # for longer than a lease: renewal, not luck, keeps a live worker's job.
        await asyncio.sleep(lease + 1)
        job = await mail_job(runtime, mail_id)
        assert (job.status, job.attempts, smtp.count()) == (RUNNING, 1, 0)

        first.kill_hard()
        job = await mail_job(runtime, mail_id)
        assert (job.status, job.attempts) == (RUNNING, 1)
        assert job.lease_until is not None
        held_until = job.lease_until.timestamp()  # the dead worker's last renewal, final now

        async def sent() -> bool:
            job_done = (await mail_job(runtime, mail_id)).status == DONE
            return job_done and await mail_status(runtime, mail_id) == mail_models.SENT

        await eventually(sent, timeout=30, what="worker 2 to deliver the mail", procs=(second,))
        job = await mail_job(runtime, mail_id)
        assert (job.status, job.attempts) == (DONE, 2)
        assert smtp.count() == 1
        taken_over_at, message = smtp.accepted[0]
        assert message["Subject"] == "Hand-over"
        # Worker 2 waited for worker 1's lease to lapse: it was not handed the job while it was held.
        assert taken_over_at >= held_until
        assert '"mail_sent"' in second.log() and '"mail_sent"' not in first.log()
    finally:
        for proc in procs:
            proc.stop()
        smtp.stop()
        await runtime.stop()
        import redis.asyncio as aioredis

        client = aioredis.from_url(REDIS_URL)
        await client.delete(queue)
        await client.aclose()
