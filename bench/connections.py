"""Idle widget WebSockets: the resident memory of one ``frontdesk serve`` holding thousands of them.

Visitors' widgets keep a socket open for as long as a page is open, so a busy site holds far more
idle sockets than active chats. The sockets are opened in steps (1,000, 2,000, 5,000 by default)
from several client processes; after each step the server's RSS is read from
``/proc/<pid>/status`` (VmRSS), and its CPU use while every socket sits idle (the keepalive pings
and the widget's presence check, every 30 s per socket, are all it does then; a short window at a
small step may fall between the checks, so read the idle CPU of the largest step).

Each socket does what a returning visitor's widget does: connect, authenticate with its visitor
token and wait for ``ready``. The tokens are minted with the server's signing key
(``issue_visitor_token``, what ``POST .../session`` answers) so the run measures sockets rather than
sessions; ``--via-session`` asks the server for each one instead. Browsers offer permessage-deflate,
and so does the client unless ``--no-deflate``.

The baseline is the bare relay of ``bench/widget_fanout.py`` under the same uvicorn settings: what
a socket costs in uvicorn and the WebSocket protocol alone. Goal: 5,000 sockets under 600 MB.

Run: ``.venv/bin/python bench/connections.py [--steps 1000,2000,5000] [--clients 2]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_baseline import PYTHON, ROOT, cpu_seconds, cpus, machine, rss_mb, serve_frontdesk, sign_up
from widget_fanout import bench_env, create_inbox, serve_relay

GOAL_MB = 600.0
GOAL_CONNECTIONS = 5000


def raise_fd_limit() -> int:
    """Soft limit up to the hard one; processes started afterwards (server, clients) inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 1_048_576 if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ---------------------------------------------------------------- the client processes


class _Holder:
    """Opens sockets on command and keeps them open (the library answers the server's pings)."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.sockets: list[Any] = []
        self.failures: list[str] = []
        self.http: Any = None

    async def token(self) -> str:
        if self.cfg["via_session"]:
            r = await self.http.post(f"/api/v1/widget/{self.cfg['widget_token']}/session", json={})
            r.raise_for_status()
            return str(r.json()["visitor_token"])
        if self.cfg["inbox_id"] is None:
            return uuid.uuid4().hex  # the relay takes any token
        from frontdesk.channels.web.service import issue_visitor_token

        return issue_visitor_token(self.cfg["secret"], uuid.UUID(self.cfg["inbox_id"]), f"visitor:{uuid.uuid4()}")

    async def open_one(self, gate: asyncio.Semaphore) -> None:
        from websockets.asyncio.client import connect

        async with gate:
            try:
                token = await self.token()
                url = self.cfg["base"].replace("http://", "ws://") + f"/api/v1/widget/{self.cfg['widget_token']}/ws"
                ws = await connect(
                    url,
                    compression="deflate" if self.cfg["deflate"] else None,
                    ping_interval=None,
                    open_timeout=60,
                    close_timeout=1,
                )
                await ws.send(json.dumps({"type": "auth", "visitor_token": token}))
                ready = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if ready.get("type") != "ready":
                    raise RuntimeError(str(ready))
                self.sockets.append(ws)
            except Exception as exc:
                self.failures.append(f"{type(exc).__name__}: {exc}"[:200])

    async def run(self) -> None:
        import httpx

        self.http = httpx.AsyncClient(base_url=self.cfg["base"], timeout=60)
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(int(self.cfg["concurrency"]))
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if not line or line == "quit":
                break
            count = int(line.split()[1])
            started = time.perf_counter()
            failed_before = len(self.failures)
            await asyncio.gather(*(self.open_one(gate) for _ in range(count)))
            answer = {
                "open": len(self.sockets),
                "failed": len(self.failures) - failed_before,
                "seconds": time.perf_counter() - started,
                "first_failure": self.failures[failed_before] if len(self.failures) > failed_before else None,
            }
            print(json.dumps(answer), flush=True)
        for ws in self.sockets:
            ws.transport.abort()
        await self.http.aclose()


def client_main() -> int:
    cfg = json.loads(sys.stdin.readline())
    try:
        import uvloop

        uvloop.run(_Holder(cfg).run())
    except ImportError:
        asyncio.run(_Holder(cfg).run())
    return 0


class Clients:
    """Several holder processes, told together to open more sockets, their counts summed."""

    def __init__(self, count: int, cfg: dict[str, Any], cores: set[int] | None) -> None:
        def pin() -> None:
            if cores:
                os.sched_setaffinity(0, cores)

        self.procs = [
            subprocess.Popen(
                [PYTHON, str(Path(__file__).resolve()), "--client"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
                preexec_fn=pin,
            )
            for _ in range(count)
        ]
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(cfg) + "\n")
            proc.stdin.flush()

    def open(self, more: int) -> dict[str, Any]:
        shares = [more // len(self.procs) + (1 if i < more % len(self.procs) else 0) for i in range(len(self.procs))]
        started = time.perf_counter()
        for proc, share in zip(self.procs, shares, strict=True):
            assert proc.stdin is not None
            proc.stdin.write(f"open {share}\n")
            proc.stdin.flush()
        answers = []
        for proc in self.procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("a client process died")
            answers.append(json.loads(line))
        return {
            "open": sum(a["open"] for a in answers),
            "failed": sum(a["failed"] for a in answers),
            "seconds": time.perf_counter() - started,
            "first_failure": next((a["first_failure"] for a in answers if a["first_failure"]), None),
        }

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None and proc.stdin is not None:
                try:
                    proc.stdin.write("quit\n")
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# ---------------------------------------------------------------- orchestration


def idle_cpu(pid: int, seconds: float) -> float:
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds


def measure(
    label: str, base: str, pid: int, cfg: dict[str, Any], args: argparse.Namespace, cores: set[int] | None
) -> list[dict[str, Any]]:
    time.sleep(args.settle)
    rest = rss_mb(pid)
    print(f"  {label:<10} {0:>6} sockets  RSS {rest:7.1f} MB", flush=True)
    rows = []
    clients = Clients(args.clients, {**cfg, "base": base}, cores)
    try:
        for step in args.steps:
            added = step - (rows[-1]["open"] if rows else 0)
            busy_before = cpu_seconds(pid)
            opened = clients.open(added)
            opening_cpu = (cpu_seconds(pid) - busy_before) / opened["seconds"]
            time.sleep(args.settle)
            rss = rss_mb(pid)
            cpu = idle_cpu(pid, args.idle_seconds)
            per = (rss - rest) * 1024 / opened["open"] if opened["open"] else float("nan")
            row = {**opened, "step": step, "rss_mb": rss, "rest_mb": rest, "per_socket_kb": per, "idle_cpu": cpu}
            row["opening_cpu"] = opening_cpu
            rows.append(row)
            failed = f", {opened['failed']} failed ({opened['first_failure']})" if opened["failed"] else ""
            print(
                f"  {label:<10} {opened['open']:>6} sockets  RSS {rss:7.1f} MB  (+{per:5.1f} KB a socket over "
                f"{rest:.0f} MB at rest)   opened {added / opened['seconds']:4.0f}/s (server CPU {opening_cpu:4.0%})   "
                f"idle server CPU {cpu:4.0%}{failed}",
                flush=True,
            )
    finally:
        clients.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="1000,2000,5000", help="total open sockets after each step")
    parser.add_argument("--clients", type=int, default=2, help="client processes holding the sockets")
    parser.add_argument("--concurrency", type=int, default=32, help="handshakes in flight per client process")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds to wait before reading RSS")
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="seconds of idle CPU measured per step")
    parser.add_argument("--via-session", action="store_true", help="get each visitor token from POST .../session")
    parser.add_argument("--no-deflate", action="store_true", help="do not offer permessage-deflate (browsers do)")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--setting", action="append", default=[], help="extra NAME=value for the server's env")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    args.steps = sorted(int(x) for x in args.steps.split(",") if x.strip())
    limit = raise_fd_limit()
    server_cores, client_cores = cpus()
    print(f"Idle widget sockets, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(
        f"  steps {', '.join(map(str, args.steps))}; {args.clients} client processes; deflate "
        f"{'off' if args.no_deflate else 'on'}; open files limit {limit}; "
        f"server on CPU {sorted(server_cores) if server_cores else 'any'}, "
        f"clients on CPU {sorted(client_cores) if client_cores else 'any'}",
        flush=True,
    )
    common = {"deflate": not args.no_deflate, "concurrency": args.concurrency, "via_session": args.via_session}
    results: dict[str, Any] = {}
    if not args.skip_baseline:
        with serve_relay(cores=server_cores) as (base, pid):
            cfg = {**common, "widget_token": "relay", "inbox_id": None, "via_session": False}
            results["relay"] = measure("bare relay", base, pid, cfg, args, client_cores)
    extra = dict(s.split("=", 1) for s in args.setting)
    with tempfile.TemporaryDirectory(prefix="fd-bench-") as tmp:
        env = bench_env(Path(tmp), **extra)
        with serve_frontdesk(env, cores=server_cores) as (base, pid):
            owner = sign_up(base)
            inbox = create_inbox(base, owner, "web")
            cfg = {**common, "widget_token": inbox["public_token"], "inbox_id": inbox["id"]}
            cfg["secret"] = env["FRONTDESK_SECRET_KEY"]
            results["frontdesk"] = measure("frontdesk", base, pid, cfg, args, client_cores)
    fd = results["frontdesk"]
    at_goal = [r for r in fd if r["open"] >= GOAL_CONNECTIONS]
    if at_goal:
        rss = at_goal[0]["rss_mb"]
        verdict = "meets" if rss < GOAL_MB else "is above"
        print(f"  frontdesk with {at_goal[0]['open']} sockets: {rss:.0f} MB ({verdict} the {GOAL_MB:.0f} MB goal)")
    if "relay" in results:
        relay = results["relay"][-1]
        ours = fd[-1]
        print(
            f"  per socket at {ours['open']}: frontdesk {ours['per_socket_kb']:.1f} KB, bare relay "
            f"{relay['per_socket_kb']:.1f} KB (x{ours['per_socket_kb'] / relay['per_socket_kb']:.1f})"
        )
    print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps({**results, "machine": machine()}, indent=2))
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--client":
        sys.exit(client_main())
    sys.exit(main())
