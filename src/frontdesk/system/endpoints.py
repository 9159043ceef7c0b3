"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from frontdesk.auth.dependencies import RuntimeDep
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import job_counts
from frontdesk.kit.runtime import Runtime

router = APIRouter(tags=["system"])


@router.get("/health", summary="Liveness: the process answers")
async def health() -> dict[str, str]:
    return {"status": "ok"}


async def readiness(runtime: Runtime) -> dict[str, Any]:
    checks: dict[str, Any] = {}

    async def timed(name: str, probe: Any) -> None:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(probe(), timeout=3)
            checks[name] = {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}
        except Exception as exc:
            checks[name] = {"status": "failing", "error": type(exc).__name__}

    async def database() -> None:
        async with transaction(runtime.sessionmaker) as session:
            await session.execute(text("SELECT 1"))

    await timed("database", database)
    if runtime.settings.redis_url:
        import redis.asyncio as aioredis

        async def redis_ping() -> None:
            client = aioredis.from_url(runtime.settings.redis_url)  # type: ignore[arg-type]
            try:
                await client.ping()
            finally:
                await client.aclose()

        await timed("redis", redis_ping)
        checks["broker"] = {"status": "ok", "kind": "redis"} if checks["redis"]["status"] == "ok" else checks["redis"]
    else:
        checks["broker"] = {"status": "ok", "kind": "in-memory"}
    ready = all(c["status"] == "ok" for c in checks.values())
    return {"status": "ready" if ready else "not_ready", "checks": checks}


@router.get("/health/ready", summary="Readiness: database, Redis and broker answer")
async def health_ready(runtime: RuntimeDep) -> JSONResponse:
    report = await readiness(runtime)
    return JSONResponse(report, status_code=200 if report["status"] == "ready" else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    try:
        async with transaction(runtime.sessionmaker) as session:
            counts = await job_counts(session)
        for state in ("pending", "running", "done", "dead"):
            runtime.metrics.jobs_waiting.labels(state).set(counts.get(state, 0))
    except Exception:  # noqa: S110  (metrics must answer even when the database does not)
        pass
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)
