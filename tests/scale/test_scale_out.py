"""The distributed shape for real: two ``frontdesk serve`` and one ``frontdesk worker`` processes
sharing a fresh PostgreSQL database and Redis, as behind a load balancer.

- A WebSocket on server B hears an event caused by a request to server A (Redis pub/sub).
- A job created by a request to server A runs in the worker: the servers do not sweep when
  distributed, and the worker's own log says it delivered the mail.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect

from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from frontdesk.mail.models import LOGGED, MailMessage
from tests.conftest import PG_ADMIN, REDIS_URL, join, make_settings, sign_up
from tests.kit.processes import Proc, eventually, frontdesk_env, spawn, spawn_server, wait_for_line, wait_healthy
from tests.kit.socket_client import change_role, receive, until_type

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def test_two_servers_and_a_worker_share_events_and_jobs(tmp_path: Path) -> None:
    name = f"fd_scale_{uuid.uuid4().hex[:12]}"
    db_url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    queue = f"frontdesk:test:{uuid.uuid4().hex}"
    env = frontdesk_env(tmp_path, database_url=db_url, redis_url=REDIS_URL, job_queue=queue)
    await admin(f'CREATE DATABASE "{name}"')
    procs: list[Proc] = []
    runtime: Runtime | None = None
    try:
        # Server A migrates the fresh database on its way up; B and the worker start once it has.
        server_a = spawn_server("serve-a", env, tmp_path, "--migrate")
        procs.append(server_a)
        await wait_healthy(server_a, timeout=60)
        server_b = spawn_server("serve-b", env, tmp_path)
        worker = spawn("worker", ["worker"], env, tmp_path)
        procs += [server_b, worker]
        await wait_healthy(server_b)
        await wait_for_line(worker, "Frontdesk worker running")

        async with httpx.AsyncClient(base_url=server_a.url, timeout=10) as via_a:
            owner = await sign_up(via_a, org="Scale Co")
            ws_b = server_b.url.replace("http://", "ws://") + "/api/v1/realtime"
            async with connect(ws_b) as socket_on_b:
                await socket_on_b.send(json.dumps({"type": "auth", "token": owner.access_token}))
                assert (await receive(socket_on_b))["type"] == "ready"

                agent = await join(via_a, owner, "agent")
                membership_id = await change_role(via_a, owner, agent.email, "viewer")
                event, _ = await until_type(socket_on_b, "member.updated", timeout=15)
                assert event["membership_id"] == membership_id
                assert event["topic"] == f"org:{owner.organization_id}"

            r = await via_a.post("/api/v1/auth/password-reset", json={"email": owner.email})
            assert r.status_code == 202, r.text

        runtime = Runtime(make_settings(db_url, tmp_path / "test"))

        async def reset_mail_logged() -> bool:
            assert runtime is not None
            async with transaction(runtime.sessionmaker) as session:
                status = await session.scalar(
                    select(MailMessage.status).where(
                        MailMessage.to_address == owner.email, MailMessage.kind == "password_reset"
                    )
                )
            return status == LOGGED

        await eventually(reset_mail_logged, timeout=30, what="the worker to deliver the reset mail", procs=tuple(procs))
        # Only the worker runs jobs in distributed mode; the servers never touched the mail.
        delivered = [line for line in worker.log().splitlines() if '"mail_logged"' in line and owner.email in line]
        assert len(delivered) == 1
        assert '"mail_logged"' not in server_a.log() and '"mail_logged"' not in server_b.log()
        for proc in procs:
            assert proc.alive(), proc.log()[-4000:]
        # An idle worker waits on Redis quietly: its receiver never failed and restarted.
        assert "Exception found while listening" not in worker.log()
    finally:
        for proc in procs:
            proc.stop()
        if runtime is not None:
            await runtime.stop()
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        import redis.asyncio as aioredis

        client = aioredis.from_url(REDIS_URL)
        await client.delete(queue)
        await client.aclose()
