"""Flow engine throughput: node executions per second on SQLite and PostgreSQL.

Each execution runs the flow "message -> condition -> set_attribute -> send_message" for one
contact: the condition reads the message, set_attribute writes a typed contact attribute,
send_message stores an outbound message through ``messages.service.add_message`` (so realtime events
and webhooks are prepared exactly as in production). Every step is one transaction on a row locked
for update, with its step log row. Baseline, measured in the same run: the same three pieces of work
done by hand in one transaction per execution, with no engine (no locking, no step log, no state).

Run: ``.venv/bin/python bench/flow_steps.py [--executions 300]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_baseline import machine
from jobs import _pg_admin, postgres_answers

from frontdesk.config import Settings
from frontdesk.kit.db import transaction
from frontdesk.kit.logging import configure_logging
from frontdesk.kit.migrate import upgrade
from frontdesk.kit.runtime import Runtime

GRAPH = {
    "start": "check",
    "nodes": [
        {"id": "check", "type": "condition", "rules": [{"left": "message.text", "op": "contains", "right": "price"}]},
        {
            "id": "tag",
            "type": "set_attribute",
            "key": "interest",
            "value_type": "string",
            "source": "literal",
            "value": "pricing",
        },
        {
            "id": "reply",
            "type": "send_message",
            "text": "Hi {{contact.first_name}}, our prices: {{contact.attribute.interest}}",
        },
    ],
    "edges": [
        {"source": "check", "target": "tag", "port": "true"},
        {"source": "tag", "target": "reply", "port": "next"},
    ],
}


def settings_for(url: str, data_dir: Path, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,
        database_url=url,
        data_dir=data_dir,
        secret_key="bench-secret-key-0123456789-0123456789-0123456789",
        log_level="WARNING",
        **extra,
    )


async def world(
    runtime: Runtime, contacts: int, graph: dict[str, Any]
) -> tuple[Any, list[tuple[uuid.UUID, uuid.UUID]]]:
    """An organization, a web inbox, ``contacts`` contacts each with a conversation, and a published flow."""
    from frontdesk.contacts.models import Contact
    from frontdesk.conversations.models import Conversation
    from frontdesk.flows.models import Flow, FlowVersion
    from frontdesk.inboxes.models import Inbox
    from frontdesk.orgs.models import Organization

    now = runtime.clock.now()
    async with transaction(runtime.sessionmaker) as session:
        org = Organization(name="Bench", slug=f"bench-{uuid.uuid4().hex[:8]}", created_at=now)
        session.add(org)
        await session.flush()
        inbox = Inbox(organization_id=org.id, name="Web", channel="web", public_token=secrets.token_urlsafe(16))
        session.add(inbox)
        flow = Flow(organization_id=org.id, name="Bench flow", draft=graph, allow_concurrent=True, created_at=now)
        session.add(flow)
        await session.flush()
        version = FlowVersion(organization_id=org.id, flow_id=flow.id, number=1, graph=graph, created_at=now)
        session.add(version)
        await session.flush()
        flow.published_version_id, flow.latest_number = version.id, 1
        pairs = []
        for n in range(contacts):
            contact = Contact(organization_id=org.id, name=f"Person {n}", created_at=now)
            session.add(contact)
            await session.flush()
            conv = Conversation(organization_id=org.id, inbox_id=inbox.id, contact_id=contact.id, created_at=now)
            session.add(conv)
            await session.flush()
            pairs.append((contact.id, conv.id))
        return flow.id, pairs


async def measure(url: str, data_dir: Path, count: int) -> dict[str, float]:
    from frontdesk.conversations.models import Conversation
    from frontdesk.flows import conditions, engine, starter
    from frontdesk.flows.models import Flow
    from frontdesk.messages.service import add_message

    runtime = Runtime(settings_for(url, data_dir, sweeper_enabled=False))
    try:
        flow_id, pairs = await world(runtime, count, GRAPH)
        ids = []
        async with transaction(runtime.sessionmaker) as session:
            flow = await session.get(Flow, flow_id)
            assert flow is not None
            for contact_id, conv_id in pairs:
                ex = await starter.start(
                    session,
                    flow,
                    contact_id=contact_id,
                    conversation_id=conv_id,
                    trigger={},
                    message_text="your price?",
                )
                ids.append(ex.id)
        started = time.perf_counter()
        for ex_id in ids:
            status = await engine.run(runtime, ex_id)
            assert status == "completed", status
        engine_seconds = time.perf_counter() - started

        # Baseline: the same work by hand, one transaction per contact, no engine.
        from frontdesk.contacts.models import ContactAttribute

        rule = conditions.Rule(left="message.text", op="contains", right="price")
        started = time.perf_counter()
        for contact_id, conv_id in pairs:
            async with transaction(runtime.sessionmaker) as session:
                if conditions.evaluate_rule(rule, {"message": {"text": "your price?"}}):
                    session.add(
                        ContactAttribute(
                            organization_id=(await session.get(Conversation, conv_id)).organization_id,  # type: ignore[union-attr]
                            contact_id=contact_id,
                            key="interest_hand",
                            type="string",
                            value_text="pricing",
                        )
                    )
                    conv = await session.get(Conversation, conv_id)
                    assert conv is not None
                    await add_message(session, conv, direction="out", sender_type="flow", content="Hi, our prices")
        hand_seconds = time.perf_counter() - started
    finally:
        await runtime.stop()
    steps = count * 3
    return {
        "steps_per_second": steps / engine_seconds,
        "executions_per_second": count / engine_seconds,
        "hand_per_second": steps / hand_seconds,
    }


def report(label: str, r: dict[str, float]) -> None:
    print(
        f"  {label:<11} engine {r['steps_per_second']:7.0f} node executions/s "
        f"({r['executions_per_second']:5.0f} flows/s)   "
        f"by hand {r['hand_per_second']:7.0f} /s   engine/hand {r['steps_per_second'] / r['hand_per_second']:.2f}x",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executions", type=int, default=300)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    configure_logging("WARNING", json=True)
    print(f"Flow steps, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"  {args.executions} executions of condition -> set_attribute -> send_message, one after another")
    with tempfile.TemporaryDirectory(prefix="fd-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/flows.db"
        upgrade(url, verbose=False)
        report("SQLite", asyncio.run(measure(url, Path(tmp), args.executions)))
        if args.skip_postgres or not postgres_answers():
            print("  PostgreSQL  not measured (nothing answers on 127.0.0.1:5432)")
            return 0
        name = f"fd_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        try:
            pg_url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
            upgrade(pg_url, verbose=False)
            report("PostgreSQL", asyncio.run(measure(pg_url, Path(tmp), args.executions)))
        finally:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
