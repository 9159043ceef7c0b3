"""Fixtures shared by the whole suite.

Every database test runs on SQLite and, when PostgreSQL answers on 127.0.0.1:5432, on PostgreSQL
too (``backend`` is parametrized). With ``FRONTDESK_TEST_REQUIRE_SERVICES=1`` (CI) a missing
PostgreSQL or Redis fails the run instead of narrowing it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from frontdesk.app import create_app
from frontdesk.config import Settings
from frontdesk.kit.clock import Clock, FrozenClock
from frontdesk.kit.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
REQUIRE_SERVICES = os.environ.get("FRONTDESK_TEST_REQUIRE_SERVICES") == "1"


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


HAVE_POSTGRES = _port_open(5432)
HAVE_REDIS = _port_open(6379)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"frontdesk suites: sqlite=yes postgres={'yes' if HAVE_POSTGRES else 'NO'} "
        f"redis={'yes' if HAVE_REDIS else 'NO'} require_services={REQUIRE_SERVICES}"
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) the suites whose service is absent, and say so; CI requires them all."""
    missing = set()
    if not HAVE_POSTGRES:
        missing.add("postgres")
    if not HAVE_REDIS:
        missing.add("redis")
    if missing and REQUIRE_SERVICES:
        raise pytest.UsageError(f"services required but not answering on 127.0.0.1: {sorted(missing)}")
    keep, drop = [], []
    for item in items:
        needs = {m.name for m in item.iter_markers() if m.name in ("postgres", "redis")}
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgres":
            needs.add("postgres")
        (drop if needs & missing else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
        print(f"\nfrontdesk: {len(drop)} tests deselected because {sorted(missing)} did not answer")


# ---------------------------------------------------------------- databases


def in_thread(coro: Any) -> Any:
    """Run a coroutine to completion from sync code that may itself sit inside a running loop."""
    import threading

    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = asyncio.run(coro)
        except BaseException as exc:
            out["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from frontdesk.kit.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}", verbose=False)
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One migrated PostgreSQL database for the session; tests truncate it before use."""
    if not HAVE_POSTGRES:
        pytest.fail("PostgreSQL is not answering on 127.0.0.1:5432")
    import asyncpg

    from frontdesk.kit.migrate import upgrade

    name = f"fd_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    in_thread(admin(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    upgrade(url, verbose=False)
    yield url
    in_thread(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def truncate_all(url: str) -> None:
    import asyncpg

    from frontdesk.models import Base

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


def _backends() -> list[Any]:
    return ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "frontdesk.db"
        shutil.copyfile(template, target)
        return f"sqlite+aiosqlite:///{target}"
    url: str = request.getfixturevalue("pg_database")
    await truncate_all(url)
    return url


# ---------------------------------------------------------------- app and clients


def make_settings(db_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "data_dir": tmp_path / "var",
        "secret_key": "test-secret-key-that-is-long-enough-0123456789",
        "argon2_memory_kib": 1024,
        "argon2_time_cost": 1,
        "sweep_interval_seconds": 0.05,
        "rate_limit_auth": "10000/minute",
        "log_json": True,
        "log_level": "WARNING",
        "public_url": "http://testserver",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def clock() -> Clock | None:
    """``None`` means the system clock; tests that move time override this with a FrozenClock."""
    return None


@pytest.fixture
def settings(db_url: str, tmp_path: Path, settings_overrides: dict[str, Any]) -> Settings:
    return make_settings(db_url, tmp_path, **settings_overrides)


@pytest.fixture
async def app(settings: Settings, clock: Clock | None) -> AsyncIterator[Any]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def runtime(app: Any) -> Runtime:
    return app.state.runtime  # type: ignore[no-any-return]


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@dataclass
class Account:
    """A signed-up person with their own organization, ready to call the API."""

    email: str
    password: str
    user_id: str
    organization_id: str
    access_token: str
    refresh_token: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}", "X-Organization-Id": self.organization_id}


async def sign_up(
    client: httpx.AsyncClient, *, org: str = "Acme", email: str | None = None, password: str = "correct horse battery"
) -> Account:
    email = email or f"{uuid.uuid4().hex[:10]}@example.com"
    r = await client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": password, "name": email.split("@")[0], "organization_name": org},
    )
    assert r.status_code == 201, r.text
    tokens = r.json()
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200, me.text
    body = me.json()
    return Account(
        email=email,
        password=password,
        user_id=body["id"],
        organization_id=body["organization_id"],
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )


async def join(client: httpx.AsyncClient, owner: Account, role: str, *, email: str | None = None) -> Account:
    """Bring a new person into ``owner``'s organization with ``role`` through a real invitation."""
    email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    r = await client.post("/api/v1/invitations", headers=owner.headers, json={"email": email, "role": role})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    password = "another good password"
    r = await client.post(
        "/api/v1/invitations/accept", json={"token": token, "name": role.title(), "password": password}
    )
    assert r.status_code == 200, r.text
    tokens = r.json()
    return Account(
        email=email,
        password=password,
        user_id=tokens.get("user_id", ""),
        organization_id=owner.organization_id,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Account:
    return await sign_up(client, org="Acme")


@pytest.fixture
async def other_owner(client: httpx.AsyncClient) -> Account:
    return await sign_up(client, org="Globex")


# ---------------------------------------------------------------- live servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def live_server(app: Any) -> AsyncIterator[str]:
    """The same app served by uvicorn on a loopback port, for WebSocket and browser tests."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
def frozen_clock() -> FrozenClock:
    return FrozenClock()
