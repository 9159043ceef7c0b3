"""Overhead of the assistant pipeline around a model that answers instantly.

Three loops over the same instant model (a pydantic-ai FunctionModel that streams one sentence), in
one process against a migrated SQLite database, the same number of turns each:

1. bare: ``Agent.run`` with no instructions, tools or history: what pydantic-ai itself costs;
2. runner: ``run_assistant`` (layered instructions read from the database, the nine tools, the
   history, streaming to a callback, the leak check);
3. reply job: ``replies.reply_to`` for a stored customer message: routing, policy, the runner,
   storing the reply and the message's AI metadata, the events, in one committed transaction.

Printed as turns per second with the ratio to the bare loop, and to ``bench/http_baseline.py``'s
hello-world served and loaded the same way in the same run (its requests per second are what
uvicorn alone can do on this machine: the ceiling any per-message work is measured against).

Run: ``.venv/bin/python bench/assistant_pipeline.py [--turns 300]``
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pydantic_ai import Agent  # noqa: E402
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart  # noqa: E402
from pydantic_ai.models.function import AgentInfo, FunctionModel  # noqa: E402

from frontdesk.config import Settings  # noqa: E402
from frontdesk.kit.db import transaction  # noqa: E402
from frontdesk.kit.migrate import upgrade  # noqa: E402
from frontdesk.kit.runtime import Runtime  # noqa: E402

SENTENCE = "We are open Monday to Friday from nine to six, and on Saturdays until two."


def instant() -> FunctionModel:
    async def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[TextPart(SENTENCE)])

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        for word in SENTENCE.split(" "):
            yield word + " "

    return FunctionModel(answer, stream_function=stream, model_name="instant")


async def main(turns: int) -> None:
    import frontdesk.models
    import frontdesk.tasks  # noqa: F401
    from frontdesk.assistant import replies, runner
    from frontdesk.assistant.models import Assistant
    from frontdesk.contacts.models import Contact
    from frontdesk.conversations.models import Conversation
    from frontdesk.inboxes.models import Inbox
    from frontdesk.messages.service import add_message
    from frontdesk.orgs.models import Organization

    tmp = Path(tempfile.mkdtemp(prefix="fd-bench-assistant-"))
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    upgrade(url, verbose=False)
    settings = Settings(
        _env_file=None,
        database_url=url,
        data_dir=tmp,
        secret_key="bench-secret-key-0123456789-0123456789-0123456789",
        log_level="ERROR",
    )
    runtime = Runtime(settings)
    model = instant()
    # The runner's model comes from the providers' registry; the bench pins the instant one.
    original = runner.model_for

    async def pinned(*args: object, **kwargs: object) -> FunctionModel:
        return model

    runner.model_for = pinned
    try:
        async with transaction(runtime.sessionmaker) as session:
            org = Organization(name="Bench", slug=f"bench-{secrets.token_hex(3)}")
            session.add(org)
            await session.flush()
            inbox = Inbox(organization_id=org.id, name="API", channel="api", public_token=secrets.token_urlsafe(16))
            session.add(inbox)
            await session.flush()
            assistant = Assistant(
                organization_id=org.id,
                name="Desk",
                instructions="Be brief and friendly.",
                inbox_ids=[str(inbox.id)],
                tools=[],
                collection_ids=[],
                routing_keywords=[],
                escalation_keywords=[],
                max_bot_turns=0,
            )
            session.add(assistant)
            await session.flush()
            org_id, inbox_id, assistant_id = org.id, inbox.id, assistant.id

        bare_agent: Agent[None, str] = Agent(model)
        started = time.perf_counter()
        for _ in range(turns):
            await bare_agent.run("When are you open?")
        bare = turns / (time.perf_counter() - started)

        async def sink(delta: str) -> None:
            return None

        started = time.perf_counter()
        for _ in range(turns):
            async with transaction(runtime.sessionmaker) as session:
                row = await session.get(Assistant, assistant_id)
                assert row is not None
                await runner.run_assistant(
                    session,
                    runtime,
                    assistant=row,
                    history=[runner.Turn("customer", "When are you open?")],
                    on_delta=sink,
                )
        full_runner = turns / (time.perf_counter() - started)

        message_ids = []
        async with transaction(runtime.sessionmaker) as session:
            for n in range(turns):
                contact = Contact(organization_id=org_id, name=f"c{n}")
                session.add(contact)
                await session.flush()
                conv = Conversation(organization_id=org_id, inbox_id=inbox_id, contact_id=contact.id, labels=[])
                session.add(conv)
                await session.flush()
                message, _ = await add_message(
                    session, conv, direction="in", sender_type="contact", content="When are you open?"
                )
                message_ids.append(message.id)
        started = time.perf_counter()
        for message_id in message_ids:
            async with transaction(runtime.sessionmaker) as session:
                await replies.reply_to(session, runtime, uuid.UUID(str(message_id)))
        job = turns / (time.perf_counter() - started)
    finally:
        runner.model_for = original
        await runtime.stop()

    sys.path.insert(0, str(ROOT / "bench"))
    from http_baseline import cpus, load_in_subprocess, serve_hello

    server_cores, load_cores = cpus()
    with serve_hello(cores=server_cores) as (base, _pid):
        hello = (await asyncio.to_thread(load_in_subprocess, base + "/", None, 32, 5, 1, load_cores)).rps

    print(f"{turns} turns each, instant model, SQLite, one process; hello-world {hello:,.0f} req/s")
    print(f"{'loop':14}{'turns/s':>10}{'vs bare':>10}{'vs hello':>10}")
    for name, rate in (("bare agent", bare), ("runner", full_runner), ("reply job", job)):
        print(f"{name:14}{rate:>10.1f}{rate / bare:>10.2f}{rate / hello:>10.4f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=300)
    asyncio.run(main(parser.parse_args().turns))
