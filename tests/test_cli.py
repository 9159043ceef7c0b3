"""The command-line tool: users, operators and the demo organization, against a real database file."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.cli import DEMO_EMAIL, ensure_demo, main
from tests.conftest import make_settings

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> None:
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", db_url)
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FRONTDESK_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", "cli-test-secret-key-long-enough-0123456789")


def test_create_user_then_grant_operator(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch, db_url, tmp_path)
    assert main(["create-org", "Shop"]) == 0
    assert (
        main(["create-user", "ann@example.com", "--password", "long password 1", "--org", "shop", "--role", "admin"])
        == 0
    )
    assert main(["create-user", "ann@example.com", "--password", "long password 1"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["grant-operator", "ann@example.com"]) == 0
    assert "now an installation operator" in capsys.readouterr().out
    assert main(["grant-operator", "nobody@example.com"]) == 1
    assert main(["create-user", "short@example.com", "--password", "short"]) == 2


def test_demo_is_created_once(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path)
    email, password, created = ensure_demo(settings)
    assert (email, created) == (DEMO_EMAIL, True)
    again = ensure_demo(settings)
    assert again == (DEMO_EMAIL, password, False)
    # The demo has a website inbox, so /widget/demo works on the first run.
    import asyncio

    from sqlalchemy import select

    from frontdesk.inboxes.models import Inbox
    from frontdesk.kit.db import transaction
    from frontdesk.kit.runtime import Runtime

    async def inboxes() -> list[str]:
        runtime = Runtime(settings)
        try:
            async with transaction(runtime.sessionmaker) as session:
                return [i.channel for i in await session.scalars(select(Inbox))]
        finally:
            await runtime.stop()

    assert asyncio.run(inboxes()) == ["web"]

    # It also has a knowledge base and an assistant on that inbox, answering with no API key.
    from frontdesk.assistant.models import Assistant
    from frontdesk.assistant.runner import Turn, run_assistant

    async def ask(question: str) -> tuple[str, bool, list[str]]:
        runtime = Runtime(settings)
        try:
            async with transaction(runtime.sessionmaker) as session:
                assistant = (await session.scalars(select(Assistant))).one()
                inbox = (await session.scalars(select(Inbox))).one()
                assert assistant.inbox_ids == [str(inbox.id)]
                answer = await run_assistant(
                    session, runtime, assistant=assistant, history=[Turn("customer", question)]
                )
                return answer.text, answer.escalate, [s["title"] for s in answer.sources]
        finally:
            await runtime.stop()

    text, escalated, sources = asyncio.run(ask("Are you open on Mondays?"))
    assert not escalated and sources[:1] == ["Opening hours"] and "Tuesday to Sunday" in text
    assert (settings.data_dir / "demo-login.txt").stat().st_mode & 0o077 == 0
