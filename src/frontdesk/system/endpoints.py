"""Liveness, readiness and Prometheus metrics.

These answer without authentication because load balancers and Prometheus call them; the reverse
proxy configurations in ``deploy/`` keep ``/metrics`` and ``/health/ready`` off the public
internet. Nothing they return names a tenant.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from frontdesk.auth.dependencies import RuntimeDep
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import DEAD, DONE, PENDING, RUNNING, job_counts
from frontdesk.kit.metrics import Metrics
from frontdesk.kit.migrate import current_heads
from frontdesk.kit.runtime import Runtime
from frontdesk.system import repository

router = APIRouter(tags=["system"])
log = structlog.get_logger("frontdesk.system")

PROBE_TIMEOUT_SECONDS = 3.0


class SchemaMissing(Exception):
    """The database answers but was never migrated: run ``frontdesk migrate``."""


@router.get("/health", summary="Liveness: the process answers")
async def health() -> dict[str, str]:
    """Touches nothing outside the process, so a database outage never gets healthy servers restarted."""
    return {"status": "ok"}


@functools.cache
def _code_heads() -> tuple[str, ...]:
    return tuple(current_heads())


async def _probe(probe: Callable[[], Awaitable[dict[str, Any] | None]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        extra = await asyncio.wait_for(probe(), timeout=PROBE_TIMEOUT_SECONDS)
    except Exception as exc:
        return {"status": "failing", "error": type(exc).__name__}
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1), **(extra or {})}


async def readiness(runtime: Runtime) -> dict[str, Any]:
    """Probe every backend this process needs, concurrently, each bounded by a timeout."""

    async def database() -> dict[str, Any]:
        async with transaction(runtime.sessionmaker) as session:
            revision = await repository.schema_revision(session)
        if revision is None:
            raise SchemaMissing
        # Reported, not judged: during a rolling upgrade the schema is legitimately ahead of the
        # servers still on the previous release, and they must keep serving.
        return {"revision": revision, "code_revision": ",".join(_code_heads())}

    probes: dict[str, Callable[[], Awaitable[dict[str, Any] | None]]] = {"database": database}
    redis_url = runtime.settings.redis_url
    if redis_url:
        import redis.asyncio as aioredis

        async def redis_ping() -> None:
            client = aioredis.from_url(redis_url)
            try:
                await client.ping()
            finally:
                await client.aclose()

        probes["redis"] = redis_ping
        pool = getattr(runtime.broker, "connection_pool", None)
        if pool is not None:

            async def broker_ping() -> None:
                # The broker's own pool: proves the connection the jobs travel on, not just any.
                async with aioredis.Redis(connection_pool=pool) as conn:
                    await conn.ping()

            probes["broker"] = broker_ping
    results = await asyncio.gather(*(_probe(p) for p in probes.values()))
    checks: dict[str, Any] = dict(zip(probes, results, strict=True))
    checks.setdefault("broker", {"status": "ok", "kind": "in-memory"})
    checks["broker"].setdefault("kind", "redis" if redis_url else "in-memory")
    failing = sorted(name for name, check in checks.items() if check["status"] != "ok")
    if failing:
        log.warning("not_ready", failing=failing)
    return {"status": "not_ready" if failing else "ready", "checks": checks}


@router.get(
    "/health/ready",
    summary="Readiness: database, Redis and broker answer",
    responses={503: {"description": "A backend is failing; the body says which."}},
)
async def health_ready(runtime: RuntimeDep) -> JSONResponse:
    """200 when every backend answers, 503 otherwise, so a load balancer stops routing here."""
    report = await readiness(runtime)
    return JSONResponse(report, status_code=200 if report["status"] == "ready" else 503)


def _backlog_gauge(metrics: Metrics) -> Gauge:
    gauge: Gauge | None = getattr(metrics, "jobs_due_lag", None)
    if gauge is None:
        gauge = Gauge(
            "frontdesk_jobs_due_lag_seconds",
            "How long the oldest due, unstarted job has waited (0 when none waits)",
            registry=metrics.registry,
        )
        metrics.jobs_due_lag = gauge  # type: ignore[attr-defined]
    return gauge


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    """Prometheus text format. Job gauges are read from the database, so every server reports the
    whole installation's backlog, including jobs that ``frontdesk worker`` processes run."""
    backlog = _backlog_gauge(runtime.metrics)
    try:
        now = runtime.clock.now()
        async with transaction(runtime.sessionmaker) as session:
            counts = await job_counts(session)
            oldest = await repository.oldest_due_at(session, now)
        for state in (PENDING, RUNNING, DONE, DEAD):
            runtime.metrics.jobs_waiting.labels(state).set(counts.get(state, 0))
        backlog.set(max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
    except Exception:
        # Metrics must answer while the database does not; the stale gauges say when they moved.
        log.warning("metrics_database_unavailable", exc_info=True)
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)
