"""The first operator comes from the command line, then signs in like anyone else."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from frontdesk import cli
from frontdesk.config import Settings
from tests.conftest import Account


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """What an installer would export: the same database and key as the running server, cheap hashing."""
    env = {
        "FRONTDESK_DATABASE_URL": settings.database_url,
        "FRONTDESK_SECRET_KEY": settings.signing_key,
        "FRONTDESK_DATA_DIR": str(tmp_path / "cli-var"),
        "FRONTDESK_ARGON2_MEMORY_KIB": "1024",
        "FRONTDESK_ARGON2_TIME_COST": "1",
        "FRONTDESK_LOG_LEVEL": "WARNING",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no stray .env or ./var from the checkout
    return env


async def test_create_operator_then_sign_in_as_operator(
    client: httpx.AsyncClient, owner: Account, cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(
        cli.main, ["create-operator", "Root@Example.com", "--name", "Root", "--password", "a long operator password"]
    )
    assert code == 0
    assert "Created operator root@example.com" in capsys.readouterr().out

    r = await client.post(
        "/api/v1/auth/login", json={"email": "root@example.com", "password": "a long operator password"}
    )
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert me["is_operator"] is True and me["memberships"] == []
    orgs = await client.get("/api/v1/operator/organizations", headers=headers)
    assert orgs.status_code == 200
    assert [o["id"] for o in orgs.json()["items"]] == [owner.organization_id]
    # An operator belongs to no organization, so organization routes have nothing to act in.
    assert (await client.get("/api/v1/organization", headers=headers)).json()["code"] == "no_organization"

    short = await asyncio.to_thread(cli.main, ["create-operator", "two@example.com", "--password", "short"])
    assert short == 2


async def test_create_operator_as_a_process_reading_the_password_from_stdin(
    client: httpx.AsyncClient, cli_env: dict[str, str], tmp_path: Path
) -> None:
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "frontdesk.cli", "create-operator", "ops2@example.com"],
        input="piped operator password\n",
        capture_output=True,
        text=True,
        env={**os.environ, **cli_env},
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    r = await client.post(
        "/api/v1/auth/login", json={"email": "ops2@example.com", "password": "piped operator password"}
    )
    assert r.status_code == 200, r.text
    health = await client.get(
        "/api/v1/operator/health", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert health.status_code == 200 and health.json()["status"] == "ready"
