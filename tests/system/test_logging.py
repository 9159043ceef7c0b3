"""JSON logs carry the request id, and never a password, token or key."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from frontdesk.kit.logging import configure_logging
from tests.conftest import Account, sign_up
from tests.system.conftest import json_lines, until


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    sent = await client.get("/health", headers={"X-Request-ID": "lb-7f3a:42"})
    assert sent.headers["x-request-id"] == "lb-7f3a:42"
    made = await client.get("/health")
    generated = made.headers["x-request-id"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    assert (await client.get("/health")).headers["x-request-id"] != generated
    # An id that could smuggle text into every log line of the request is replaced, not trusted.
    for hostile in ('x" , "level": "critical', "a" * 65, "new\nline"):
        r = await client.get("/health", headers={"X-Request-ID": hostile})
        assert r.headers["x-request-id"] != hostile
        assert len(r.headers["x-request-id"]) == 32


async def test_refused_body_still_carries_the_request_id(client: httpx.AsyncClient, owner: Account) -> None:
    r = await client.post(
        "/api/v1/auth/login",
        content=b"x" * (1_048_576 + 1),
        headers={"X-Request-ID": "big-upload-1", "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.headers["x-request-id"] == "big-upload-1"
    assert r.json()["code"] == "payload_too_large"


class TestNoSecretsInLogs:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        # DEBUG: the most talkative level, so every access line is written too.
        return {"log_level": "DEBUG", "log_json": True}

    async def test_requests_are_logged_with_their_id_and_without_secrets(
        self, capfd: pytest.CaptureFixture[str], client: httpx.AsyncClient
    ) -> None:
        password = "Sup3r-secret horse battery"
        account = await sign_up(client, org="Logged Ltd", password=password)
        login = await client.post("/api/v1/auth/login", json={"email": account.email, "password": password})
        tokens = login.json()
        me = await client.get("/api/v1/me", headers={**account.headers, "X-Request-ID": "trace-me-1"})
        assert me.status_code == 200
        anonymous = await client.get("/api/v1/me")
        assert anonymous.status_code == 401
        wrong = await client.post("/api/v1/auth/login", json={"email": account.email, "password": password + "x"})
        assert wrong.status_code == 401
        refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert refreshed.status_code == 200
        # The reset mail is written to the log when no SMTP server is set: its link holds a token.
        assert (await client.post("/api/v1/auth/password-reset", json={"email": account.email})).status_code == 202

        seen: list[dict[str, Any]] = []

        async def mail_logged() -> bool:
            seen.extend(json_lines(capfd.readouterr().err))
            return any(line.get("event") == "mail_logged" for line in seen)

        await until(mail_logged)
        text = "\n".join(json.dumps(line) for line in seen)

        access = [line for line in seen if line.get("event") == "request" and line.get("route") == "/api/v1/me"]
        assert {line["request_id"] for line in access} >= {"trace-me-1", anonymous.headers["x-request-id"]}
        assert all(line["level"] and line["timestamp"] for line in seen)

        mail = next(line for line in seen if line.get("event") == "mail_logged")
        assert "reset-password?token=[redacted]" in mail["body"]

        secrets = [
            password,
            password + "x",
            account.access_token,
            account.refresh_token,
            tokens["access_token"],
            tokens["refresh_token"],
            refreshed.json()["access_token"],
            refreshed.json()["refresh_token"],
        ]
        for secret in secrets:
            assert secret not in text
        # The signature part alone is as good as the token.
        assert account.access_token.rsplit(".", 1)[1] not in text


def test_redaction_by_field_name_and_by_shape(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    configure_logging("INFO", json=True)
    jwt_like = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXBhcnQ"
    log = structlog.get_logger("test")
    log.info(
        "outbound",
        password="hunter22",
        smtp_password="p4ss",
        headers={"Authorization": "Bearer abcdefghijkl", "X-Api-Key": "fdk_1234abcd_zzzzzzzz", "Accept": "*/*"},
        url="https://hooks.example.com/in?token=abc123&page=2",
        dsn="postgresql://frontdesk:dbpass@db:5432/frontdesk",
        note=f"client sent {jwt_like} and fdk_00ff00ff_s3cr3tv4lue",
        prompt_tokens=12,
    )
    logging.getLogger("some.library").warning("connect to redis://:redispass@cache:6379 failed")
    lines = json_lines(capsys.readouterr().err)
    event = next(line for line in lines if line["event"] == "outbound")
    assert event["password"] == "[redacted]"
    assert event["smtp_password"] == "[redacted]"
    assert event["headers"] == {"Authorization": "[redacted]", "X-Api-Key": "[redacted]", "Accept": "*/*"}
    assert event["url"] == "https://hooks.example.com/in?token=[redacted]&page=2"
    assert event["dsn"] == "postgresql://frontdesk:[redacted]@db:5432/frontdesk"
    assert jwt_like not in event["note"] and "s3cr3tv4lue" not in event["note"]
    assert event["prompt_tokens"] == 12
    # Standard-library records (uvicorn, SQLAlchemy, libraries) come out as the same JSON, redacted.
    library = next(line for line in lines if line.get("logger") == "some.library")
    assert library["level"] == "warning"
    assert "redispass" not in library["event"]
