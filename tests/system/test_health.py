"""Liveness and readiness, including a backend that does not answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REDIS_URL, free_port


async def test_liveness_answers_without_touching_backends(client: httpx.AsyncClient) -> None:
    r = await client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_ready_when_database_answers(client: httpx.AsyncClient) -> None:
    r = await client.get("/health/ready")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["ms"] >= 0
    # The applied schema and the code's expected one, side by side for upgrades.
    assert body["checks"]["database"]["revision"] == body["checks"]["database"]["code_revision"]
    assert body["checks"]["broker"] == {"status": "ok", "kind": "in-memory"}
    assert "redis" not in body["checks"]


class TestRedisDown:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        # A port nothing listens on: the connection is refused at once.
        return {"redis_url": f"redis://127.0.0.1:{free_port()}/0"}

    async def test_ready_answers_503_and_names_the_failing_backend(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/health/ready")
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["status"] == "not_ready"
        assert body["checks"]["database"]["status"] == "ok"
        assert body["checks"]["redis"] == {"status": "failing", "error": "ConnectionError"}
        assert body["checks"]["broker"]["status"] == "failing"
        assert body["checks"]["broker"]["kind"] == "redis"

    async def test_liveness_still_answers(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/health")).status_code == 200


@pytest.mark.redis
class TestRedisUp:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"redis_url": REDIS_URL}

    async def test_ready_checks_redis_and_the_broker(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/health/ready")
        assert r.status_code == 200, r.text
        checks = r.json()["checks"]
        assert checks["redis"]["status"] == "ok"
        assert checks["broker"]["status"] == "ok"
        assert checks["broker"]["kind"] == "redis"


class TestDatabaseDown:
    @pytest.fixture
    def settings_overrides(self, backend: str, tmp_path: Path) -> dict[str, Any]:
        if backend == "postgres":
            # An address where nothing answers.
            return {"database_url": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none"}
        # SQLite always "connects", creating an empty file: readiness must notice there is no schema.
        return {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}"}

    async def test_ready_answers_503_and_metrics_still_answer(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/health/ready")
        assert r.status_code == 503, r.text
        database = r.json()["checks"]["database"]
        assert database["status"] == "failing"
        assert database["error"] in {"OperationalError", "OSError", "ConnectionRefusedError", "ProgrammingError"}
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert "frontdesk_http_requests_total" in metrics.text
