"""Widget fan-out: visitors' messages reaching agents' sockets, and agents' replies reaching visitors'.

N widget visitors (``/api/v1/widget/{token}/ws``) and A agents (``/api/v1/realtime``) are connected to
one ``frontdesk serve`` on loopback. The visitors send messages over their sockets at an aggregate
rate on a fixed schedule (open loop: a slow server does not slow the senders down), and the agents
reply over HTTP (``POST /api/v1/conversations/{id}/messages``), one reply per four messages by
default. The rates are stepped up (25, 50, 100, 200 messages/s by default, the goal being 200) on
the same sockets; the run stops at the first rate the server cannot keep up with, since a higher
one would only measure the backlog. Every visitor and agent lives in one client process, so one
clock times both ends of each delivery:

- visitor message -> agent socket: from the visitor's ``send`` to each agent receiving
  ``message.created`` (every agent sees every message of the organization, so each message is
  counted A times);
- agent reply -> visitor socket: from the start of the POST to the visitor receiving the reply;
- visitor message -> ack: the round trip the widget waits for before it shows a message as sent.

The baseline is a bare ASGI relay under the same uvicorn settings, speaking just enough of the same
protocol (a session token, auth frames, acks, the same events) with no database and no auth: the
floor that uvicorn, the WebSocket protocol and this client set on the machine, measured at the lowest
and the highest rate. The server is pinned to one core and the client to another when there are two.

Run: ``.venv/bin/python bench/widget_fanout.py [--visitors 50] [--agents 3] [--rates 25,50,100,200] [--duration 10]``

``bench/connections.py`` and ``bench/ingest.py`` reuse the settings, set-up and relay helpers here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_baseline import (
    PYTHON,
    ROOT,
    _percentile,
    api,
    cpu_seconds,
    cpus,
    free_port,
    frontdesk_env,
    hello_app,
    machine,
    serve_frontdesk,
    sign_up,
    stop,
    wait_http,
)

GOAL_P99_MS = 50.0
UNLIMITED = "100000000/minute"


# ---------------------------------------------------------------- shared set-up


def bench_env(workdir: Path, **extra: str) -> dict[str, str]:
    """``frontdesk_env`` with every limit a load test trips raised, so what is measured is the work."""
    env = frontdesk_env(
        workdir,
        FRONTDESK_RATE_LIMIT_WIDGET=UNLIMITED,
        FRONTDESK_RATE_LIMIT_API_KEY=UNLIMITED,
        FRONTDESK_RATE_LIMIT_AUTH=UNLIMITED,
        FRONTDESK_ORG_QUOTA_HOURLY="1000000000",
        FRONTDESK_ORG_QUOTA_DAILY="1000000000",
        # Only the set-up hashes passwords; cheap hashing keeps it from eating the time budget.
        FRONTDESK_ARGON2_MEMORY_KIB="1024",
        FRONTDESK_ARGON2_TIME_COST="1",
    )
    env.update(extra)
    return env


def create_inbox(base: str, headers: dict[str, str], channel: str, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Bench {channel}", "channel": channel, **fields}
    return dict(api(base, "POST", "/api/v1/inboxes", body, headers))


def invite_agent(base: str, owner: dict[str, str], n: int) -> str:
    """A colleague with the agent role, through a real invitation; returns their access token."""
    email = f"agent{n}-{uuid.uuid4().hex[:8]}@example.com"
    invitation = api(base, "POST", "/api/v1/invitations", {"email": email, "role": "agent"}, owner)
    accepted = api(
        base,
        "POST",
        "/api/v1/invitations/accept",
        {"token": invitation["token"], "name": f"Agent {n}", "password": "bench password 123"},
    )
    return str(accepted["access_token"])


def stats(values: list[float]) -> dict[str, float]:
    """Count, p50, p99 and max, in milliseconds."""
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p50_ms": _percentile(ordered, 0.50) * 1000,
        "p99_ms": _percentile(ordered, 0.99) * 1000,
        "max_ms": (ordered[-1] * 1000) if ordered else float("nan"),
    }


def _pin(cores: set[int] | None) -> Any:
    return (lambda: os.sched_setaffinity(0, cores)) if cores else None


def run_json_child(args: list[str], config: dict[str, Any], cores: set[int] | None, timeout: float) -> Any:
    """Run ``python <script> <args>`` with ``config`` on stdin; its last stdout line is the JSON answer."""
    out = subprocess.run(
        [PYTHON, *args],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        preexec_fn=_pin(cores),
        timeout=timeout,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{args[0]} client failed ({out.returncode}):\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the baseline: a bare relay


class _Relay:
    """Who is connected: every agent gets every message; a visitor is its own conversation."""

    def __init__(self) -> None:
        self.agents: set[asyncio.Queue[str]] = set()
        self.visitors: dict[str, asyncio.Queue[str]] = {}

    def to_agents(self, event: dict[str, Any]) -> None:
        text = json.dumps(event)
        for queue in self.agents:
            queue.put_nowait(text)


_RELAY = _Relay()


async def _respond(send: Any, status: int, body: Any) -> None:
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


async def _relay_http(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path = scope["path"]
    if path.endswith("/session"):
        await _respond(send, 200, {"visitor_token": uuid.uuid4().hex})
    elif path.startswith("/api/v1/conversations/") and path.endswith("/messages"):
        conversation = path.split("/")[4]
        content = json.loads(body)["content"]
        event = {
            "type": "message.created",
            "conversation_id": conversation,
            "message": {"content": content, "sender_type": "agent"},
        }
        queue = _RELAY.visitors.get(conversation)
        if queue is not None:
            queue.put_nowait(json.dumps(event))
        _RELAY.to_agents(event)
        await _respond(send, 201, {"id": uuid.uuid4().hex, "content": content})
    else:
        await _respond(send, 200, {"status": "ok"})


async def _drain(queue: asyncio.Queue[str], send: Any) -> None:
    while True:
        await send({"type": "websocket.send", "text": await queue.get()})


async def _relay_socket(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Per socket a queue and a writer task, the shape Frontdesk's bus subscriptions have."""
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    auth = await receive()
    if auth["type"] != "websocket.receive":
        return
    queue: asyncio.Queue[str] = asyncio.Queue()
    writer = asyncio.create_task(_drain(queue, send))
    agent = scope["path"] == "/api/v1/realtime"
    token = "" if agent else str(json.loads(auth["text"])["visitor_token"])
    if agent:
        _RELAY.agents.add(queue)
    else:
        _RELAY.visitors[token] = queue
    queue.put_nowait(json.dumps({"type": "ready", "conversation_id": None}))
    started = False
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            frame = json.loads(message.get("text") or "{}")
            if frame.get("type") == "ping":
                queue.put_nowait(json.dumps({"type": "pong"}))
            elif frame.get("type") == "message" and not agent:
                if not started:
                    started = True
                    queue.put_nowait(json.dumps({"type": "resubscribed", "conversation_id": token}))
                event = {
                    "type": "message.created",
                    "conversation_id": token,
                    "message": {"content": frame["content"], "sender_type": "contact"},
                }
                queue.put_nowait(json.dumps(event))
                _RELAY.to_agents(event)
                ack = {"type": "ack", "client_id": frame.get("client_id"), "conversation": {"id": token}}
                queue.put_nowait(json.dumps(ack))
    finally:
        _RELAY.agents.discard(queue)
        _RELAY.visitors.pop(token, None)
        writer.cancel()


async def relay_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await hello_app(scope, receive, send)
    elif scope["type"] == "http":
        await _relay_http(scope, receive, send)
    elif scope["type"] == "websocket":
        await _relay_socket(scope, receive, send)


@contextlib.contextmanager
def serve_relay(cores: set[int] | None = None) -> Iterator[tuple[str, int]]:
    """The relay under uvicorn.run with the same settings ``frontdesk serve`` passes it."""
    port = free_port()
    proc = subprocess.Popen(
        [PYTHON, str(Path(__file__).resolve()), "--serve-relay", str(port)], cwd=ROOT, preexec_fn=_pin(cores)
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        stop(proc)


# ---------------------------------------------------------------- the client process


@dataclass
class _Visitor:
    index: int
    agent: int
    ws: Any = None
    conversation_id: str | None = None
    first_ack: asyncio.Event = field(default_factory=asyncio.Event)
    following: asyncio.Event = field(default_factory=asyncio.Event)
    warm_reply: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class _Tally:
    to_agent: list[float] = field(default_factory=list)
    to_visitor: list[float] = field(default_factory=list)
    ack: list[float] = field(default_factory=list)
    post: list[float] = field(default_factory=list)
    sent_messages: dict[str, float] = field(default_factory=dict)
    sent_replies: dict[str, float] = field(default_factory=dict)
    pending_acks: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    post_failures: int = 0

    def reset(self) -> None:
        fresh = _Tally()
        self.__dict__.update(fresh.__dict__)


async def _connect(url: str, deflate: bool) -> Any:
    from websockets.asyncio.client import connect

    # Browsers offer permessage-deflate; the server's side of it is part of the cost.
    return await connect(url, compression="deflate" if deflate else None, ping_interval=None, max_size=2**22)


async def _agent_reader(ws: Any, tally: _Tally, visitors: list[_Visitor]) -> None:
    clock = time.perf_counter
    async for raw in ws:
        now = clock()
        event = json.loads(raw)
        if event.get("type") != "message.created":
            continue
        content = event["message"].get("content", "")
        sent = tally.sent_messages.get(content)
        if sent is not None:
            tally.to_agent.append(now - sent)


async def _visitor_reader(v: _Visitor, tally: _Tally) -> None:
    clock = time.perf_counter
    async for raw in v.ws:
        now = clock()
        event = json.loads(raw)
        kind = event.get("type")
        if kind == "ack":
            sent = tally.pending_acks.pop(str(event.get("client_id")), None)
            if sent is not None:
                tally.ack.append(now - sent)
            v.conversation_id = event["conversation"]["id"]
            v.first_ack.set()
        elif kind == "message.created":
            content = event["message"].get("content", "")
            if content.startswith("warm reply"):
                v.warm_reply.set()
            sent = tally.sent_replies.pop(content, None)
            if sent is not None:
                tally.to_visitor.append(now - sent)
        elif kind == "resubscribed":
            v.following.set()
        elif kind in ("error", "overflow"):
            tally.errors.append(str(event.get("code") or kind))


async def _reply(http: Any, v: _Visitor, content: str, tally: _Tally) -> None:
    started = time.perf_counter()
    tally.sent_replies[content] = started
    r = await http.post(
        f"/api/v1/conversations/{v.conversation_id}/messages", json={"content": content, "client_id": uuid.uuid4().hex}
    )
    tally.post.append(time.perf_counter() - started)
    if r.status_code >= 300:
        tally.post_failures += 1


async def _schedule(count: int, rate: float, t0: float, act: Any) -> float:
    """Call ``act(i)`` at ``t0 + i / rate``; returns the worst lateness (the client's own lag)."""
    clock = time.perf_counter
    worst = 0.0
    for i in range(count):
        due = t0 + i / rate
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        worst = max(worst, clock() - due)
        await act(i)
    return worst


async def _phase(
    cfg: dict[str, Any], visitors: list[_Visitor], https: list[Any], rate: float, phase: int
) -> dict[str, Any]:
    """One measured stretch at ``rate`` visitor messages per second; returns its figures."""
    tally = cfg["tally"]
    tally.reset()
    n, agents = len(visitors), len(https)
    reply_rate, duration = rate * float(cfg["reply_ratio"]), float(cfg["duration"])
    messages, replies = int(rate * duration), int(reply_rate * duration)
    pending: set[asyncio.Task[None]] = set()

    async def send_message(i: int) -> None:
        v = visitors[i % n]
        content, client_id = f"m{phase} {v.index} {i}", f"m{phase}-{i}"
        now = time.perf_counter()
        tally.sent_messages[content] = now
        tally.pending_acks[client_id] = now
        await v.ws.send(json.dumps({"type": "message", "content": content, "client_id": client_id}))

    async def send_reply(j: int) -> None:
        v = visitors[j % n]
        task = asyncio.create_task(_reply(https[v.agent], v, f"r{phase} {v.index} {j}", tally))
        pending.add(task)
        task.add_done_callback(pending.discard)

    cpu_before, server_before = resource.getrusage(resource.RUSAGE_SELF), cpu_seconds(cfg["server_pid"])
    t0 = time.perf_counter() + 0.1
    lags = await asyncio.gather(
        _schedule(messages, rate, t0, send_message),
        _schedule(replies, reply_rate, t0, send_reply) if replies else asyncio.sleep(0, 0.0),
    )
    elapsed = time.perf_counter() - t0
    cpu_after, server_after = resource.getrusage(resource.RUSAGE_SELF), cpu_seconds(cfg["server_pid"])
    # Stragglers: what is still in flight gets a few more seconds (and is counted missing after that).
    deadline = time.perf_counter() + float(cfg["grace"])
    while time.perf_counter() < deadline and (
        len(tally.to_agent) < messages * agents or len(tally.to_visitor) < replies or tally.pending_acks
    ):
        await asyncio.sleep(0.05)
    if pending:
        await asyncio.wait(pending, timeout=max(0.1, deadline - time.perf_counter()))
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "rate": rate,
        "reply_rate": reply_rate,
        "messages": messages,
        "replies": replies,
        "agents": agents,
        "visitors": n,
        "seconds": elapsed,
        "to_agent": stats(tally.to_agent),
        "to_visitor": stats(tally.to_visitor),
        "ack": stats(tally.ack),
        "post": stats(tally.post),
        "missing_to_agent": messages * agents - len(tally.to_agent),
        "missing_to_visitor": replies - len(tally.to_visitor),
        "missing_acks": len(tally.pending_acks),
        "post_failures": tally.post_failures,
        "errors": sorted(set(tally.errors))[:5],
        "error_count": len(tally.errors),
        "client_lag_ms": max(lags) * 1000,
        "client_cpu": client_cpu / elapsed,
        "server_cpu": (server_after - server_before) / elapsed,
    }


def saturated(r: dict[str, Any]) -> bool:
    """Behind for good: deliveries still missing after the grace period, or a p99 of seconds."""
    worst = max(r["to_agent"]["p99_ms"], r["to_visitor"]["p99_ms"])
    return bool(r["missing_to_agent"] or r["missing_to_visitor"] or r["missing_acks"] or worst > 1000)


async def _client(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    import httpx

    base: str = cfg["base"]
    ws_base = base.replace("http://", "ws://")
    deflate = bool(cfg["deflate"])
    tally = cfg["tally"] = _Tally()
    n, agents = int(cfg["visitors"]), len(cfg["agent_tokens"])
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    https = [
        httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {t}"}, limits=limits, timeout=60)
        for t in cfg["agent_tokens"]
    ]
    visitors = [_Visitor(index=i, agent=i % agents) for i in range(n)]
    sockets, readers = [], []

    for token in cfg["agent_tokens"]:
        ws = await _connect(ws_base + "/api/v1/realtime", deflate)
        sockets.append(ws)
        await ws.send(json.dumps({"type": "auth", "token": token}))
        ready = json.loads(await ws.recv())
        if ready.get("type") != "ready":
            raise RuntimeError(f"agent socket refused: {ready}")
        readers.append(asyncio.create_task(_agent_reader(ws, tally, visitors)))

    async with httpx.AsyncClient(base_url=base, timeout=30) as anonymous:
        for v in visitors:
            widget = f"/api/v1/widget/{cfg['widget_token']}"
            r = await anonymous.post(widget + "/session", json={})
            r.raise_for_status()
            v.ws = await _connect(ws_base + widget + "/ws", deflate)
            sockets.append(v.ws)
            await v.ws.send(json.dumps({"type": "auth", "visitor_token": r.json()["visitor_token"]}))
            ready = json.loads(await v.ws.recv())
            if ready.get("type") != "ready":
                raise RuntimeError(f"visitor socket refused: {ready}")
            readers.append(asyncio.create_task(_visitor_reader(v, tally)))

    # Warm-up: every visitor starts its conversation and its agent answers once (and so owns it), so
    # the measured part is the steady state of a busy inbox, not the first message's extra work.
    for v in visitors:
        await v.ws.send(json.dumps({"type": "message", "content": f"hello {v.index}", "client_id": f"w{v.index}"}))
        await asyncio.sleep(0.005)
    await asyncio.wait_for(asyncio.gather(*(v.first_ack.wait() for v in visitors)), 60)
    await asyncio.wait_for(asyncio.gather(*(v.following.wait() for v in visitors)), 60)
    for v in visitors:
        await https[v.agent].post(
            f"/api/v1/conversations/{v.conversation_id}/messages", json={"content": f"warm reply {v.index}"}
        )
    await asyncio.wait_for(asyncio.gather(*(v.warm_reply.wait() for v in visitors)), 60)
    await asyncio.sleep(0.5)

    results = []
    for phase, rate in enumerate(cfg["rates"]):
        results.append(await _phase(cfg, visitors, https, float(rate), phase))
        if saturated(results[-1]):
            break  # a higher rate would only queue more of the same backlog
        await asyncio.sleep(0.5)

    for task in readers:
        task.cancel()
    # A saturated server may take long to answer a close handshake; the figures are in already.
    for ws in sockets:
        ws.transport.abort()
    for http in https:
        await http.aclose()
    return results


def client_main() -> int:
    cfg = json.loads(sys.stdin.read())
    try:
        import uvloop

        result = uvloop.run(_client(cfg))
    except ImportError:
        result = asyncio.run(_client(cfg))
    print(json.dumps(result))
    return 0


# ---------------------------------------------------------------- orchestration


def _row(label: str, r: dict[str, Any]) -> None:
    a, v, k, p = r["to_agent"], r["to_visitor"], r["ack"], r["post"]
    print(
        f"  {label:<10} {r['rate']:>5.0f}/s  visitor->agent p50 {a['p50_ms']:7.2f} p99 {a['p99_ms']:8.2f} ms | "
        f"reply->visitor p50 {v['p50_ms']:7.2f} p99 {v['p99_ms']:8.2f} ms | ack p50 {k['p50_ms']:7.2f} "
        f"p99 {k['p99_ms']:8.2f} ms | reply POST p50 {p['p50_ms']:7.2f} p99 {p['p99_ms']:8.2f} ms",
        flush=True,
    )
    print(
        f"  {'':<18} {r['messages']} messages -> {a['count']} agent deliveries (missing {r['missing_to_agent']}), "
        f"{r['replies']} replies (missing {r['missing_to_visitor']}, failed {r['post_failures']}), "
        f"missing acks {r['missing_acks']}, error frames {r['error_count']} {r['errors'] or ''}; "
        f"server CPU {r['server_cpu']:.0%}, client CPU {r['client_cpu']:.0%}, client lag {r['client_lag_ms']:.1f} ms",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument(
        "--rates",
        default="25,50,100,200",
        help="visitor messages per second (all visitors together), one measured stretch each, in this order; "
        "the run stops at the first rate the server cannot keep up with",
    )
    parser.add_argument("--reply-ratio", type=float, default=0.25, help="agent replies per visitor message")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per rate")
    parser.add_argument("--grace", type=float, default=4.0, help="seconds to wait for stragglers after each rate")
    parser.add_argument("--no-deflate", action="store_true", help="do not offer permessage-deflate (browsers do)")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--setting", action="append", default=[], help="extra NAME=value for the server's env")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    rates = [float(x) for x in args.rates.split(",") if x.strip()]

    server_cores, client_cores = cpus()
    print(f"Widget fan-out, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(
        f"  {args.visitors} visitors, {args.agents} agents; visitor messages/s {', '.join(f'{r:g}' for r in rates)} "
        f"for {args.duration:g} s each, plus {args.reply_ratio:g} agent reply per message; deflate "
        f"{'off' if args.no_deflate else 'on'}; server on CPU {sorted(server_cores) if server_cores else 'any'}, "
        f"client on CPU {sorted(client_cores) if client_cores else 'any'}",
        flush=True,
    )
    config = {
        "visitors": args.visitors,
        "reply_ratio": args.reply_ratio,
        "duration": args.duration,
        "grace": args.grace,
        "deflate": not args.no_deflate,
    }
    script = str(Path(__file__).resolve())
    timeout = len(rates) * (args.duration + args.grace + 30) + 120
    relay_rows: list[dict[str, Any]] = []
    if not args.skip_baseline:
        with serve_relay(cores=server_cores) as (base, pid):
            # The floor at the lowest and the highest rate: enough to compare with, in less time.
            floor_rates = sorted({min(rates), max(rates)})
            cfg = {**config, "rates": floor_rates, "base": base, "server_pid": pid, "widget_token": "relay"}
            cfg["agent_tokens"] = ["-"] * args.agents
            relay_rows = run_json_child([script, "--client"], cfg, client_cores, timeout)
            for row in relay_rows:
                _row("bare relay", row)
    extra = dict(s.split("=", 1) for s in args.setting)
    with (
        tempfile.TemporaryDirectory(prefix="fd-bench-") as tmp,
        serve_frontdesk(bench_env(Path(tmp), **extra), cores=server_cores) as (base, pid),
    ):
        owner = sign_up(base)
        # People answer (no assistant), and agents pick conversations up by replying.
        inbox = create_inbox(base, owner, "web", assistant_enabled=False, auto_assign=False)
        tokens = [invite_agent(base, owner, n) for n in range(args.agents)]
        cfg = {**config, "rates": rates, "base": base, "server_pid": pid, "widget_token": inbox["public_token"]}
        cfg["agent_tokens"] = tokens
        rows = run_json_child([script, "--client"], cfg, client_cores, timeout)
        for row in rows:
            _row("frontdesk", row)
    if saturated(rows[-1]):
        skipped = ": higher rates were not run" if len(rows) < len(rates) else ""
        print(f"  frontdesk cannot keep up at {rows[-1]['rate']:g} messages/s{skipped}")
    for r in rows:
        worst = max(r["to_agent"]["p99_ms"], r["to_visitor"]["p99_ms"])
        verdict = "meets" if worst < GOAL_P99_MS and not saturated(r) else "misses"
        print(f"  frontdesk at {r['rate']:g}/s: worst p99 {worst:.1f} ms ({verdict} the {GOAL_P99_MS:g} ms goal)")
    floor = {r["rate"]: r for r in relay_rows}
    for fd in rows:
        relay = floor.get(fd["rate"])
        if relay is None:
            continue
        for key, name in (("to_agent", "visitor->agent"), ("to_visitor", "reply->visitor")):
            p50 = fd[key]["p50_ms"] / relay[key]["p50_ms"]
            p99 = fd[key]["p99_ms"] / relay[key]["p99_ms"]
            print(f"  {name} at {fd['rate']:g}/s, frontdesk : relay   p50 x{p50:.1f}   p99 x{p99:.1f}")
    print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps({"relay": relay_rows, "frontdesk": rows, "machine": machine()}, indent=2))
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--serve-relay":
        import uvicorn

        uvicorn.run(relay_app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", ws_max_size=1_048_576)
        sys.exit(0)
    if len(sys.argv) >= 2 and sys.argv[1] == "--client":
        sys.exit(client_main())
    sys.exit(main())
