"""HTTP throughput: an authenticated ``GET /api/v1/me`` against a bare ASGI hello-world.

Both are served the same way (uvicorn with its default loop and parser, one process, loopback), one
after the other in the same run, with the same load: 32 keep-alive connections from a generator in a
separate process. On a machine with two or more cores the server is pinned to one core and the
generator to another, so neither steals the other's CPU. The ratio is what matters: how much of what
uvicorn can do on this machine Frontdesk keeps once it authenticates, reads the database and renders.

Run: ``.venv/bin/python bench/http_baseline.py [--duration 10] [--concurrency 32]``

Other benchmarks in ``bench/`` reuse the pieces (the script's folder is on ``sys.path``)::

    from http_baseline import cpus, frontdesk_env, load_in_subprocess, serve_frontdesk, serve_hello, sign_up

    with serve_frontdesk(frontdesk_env(tmpdir)) as (base, pid):
        result = load_in_subprocess(base + "/api/v1/me", sign_up(base), concurrency=32, duration=10)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GOAL_RATIO = 0.35

# ---------------------------------------------------------------- the baseline app


async def hello_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The least an ASGI app can do: the ceiling uvicorn sets on this machine."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b"Hello, world!"
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpus() -> tuple[set[int] | None, set[int] | None]:
    """(server cores, generator cores): one each when there are two, else no pinning."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return {available[0]}, set(available[1:])


def _pin(cores: set[int] | None) -> Any:
    if cores is None:
        return None
    return lambda: os.sched_setaffinity(0, cores)


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status < 500:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout} s")
        time.sleep(0.1)


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def serve_hello(port: int | None = None, cores: set[int] | None = None) -> Iterator[tuple[str, int]]:
    """The hello-world app under uvicorn.run with the same defaults ``frontdesk serve`` uses."""
    port = port or free_port()
    proc = subprocess.Popen(
        [PYTHON, str(Path(__file__).resolve()), "--serve-hello", str(port)],
        cwd=ROOT,
        preexec_fn=_pin(cores),
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        stop(proc)


def frontdesk_env(workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env.update(
        {
            "FRONTDESK_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'frontdesk.db'}",
            "FRONTDESK_DATA_DIR": str(workdir / "var"),
            "FRONTDESK_SECRET_KEY": "bench-secret-key-0123456789-0123456789-0123456789",
            "FRONTDESK_LOG_LEVEL": "WARNING",
            # The benchmark is one person calling far faster than the default 1200/minute allows.
            "FRONTDESK_RATE_LIMIT_USER": "100000000/minute",
            "FRONTDESK_RATE_LIMIT_AUTH": "10000/minute",
        }
    )
    env.update(extra)
    return env


def frontdesk_bin() -> str:
    candidate = Path(PYTHON).parent / "frontdesk"
    return str(candidate) if candidate.exists() else shutil.which("frontdesk") or "frontdesk"


@contextlib.contextmanager
def serve_frontdesk(
    env: dict[str, str], port: int | None = None, cores: set[int] | None = None, migrate: bool = True
) -> Iterator[tuple[str, int]]:
    """``frontdesk serve`` as an operator runs it; yields its base URL and pid."""
    port = port or free_port()
    if migrate:
        subprocess.run([frontdesk_bin(), "migrate"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen(
        [frontdesk_bin(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        preexec_fn=_pin(cores),
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/health")
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        stop(proc)


@contextlib.contextmanager
def scratch_postgres(admin: str = "postgresql://postgres@127.0.0.1:5432/postgres") -> Iterator[str]:
    """A new, empty PostgreSQL database for one run, dropped afterwards."""
    import asyncpg

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    name = f"fd_bench_{os.getpid()}_{int(time.time())}"
    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process and its threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def api(base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def sign_up(base: str) -> dict[str, str]:
    """A fresh owner with an organization; returns the headers that authenticate as them."""
    email = f"bench-{int(time.time() * 1000)}@example.com"
    tokens = api(
        base,
        "POST",
        "/api/v1/auth/register",
        {"email": email, "password": "bench password 123", "name": "Bench", "organization_name": "Bench Ltd"},
    )
    return {"Authorization": f"Bearer {tokens['access_token']}"}


# ---------------------------------------------------------------- load generator


@dataclass
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    generator_cpu: float

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


async def _connection(
    host: str, port: int, request: bytes, measure_from: float, stop_at: float, latencies: list[float], bad: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    clock = time.perf_counter
    try:
        while True:
            started = clock()
            if started >= stop_at:
                return
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            lowered = head.lower()
            at = lowered.find(b"content-length:")
            if at < 0:
                raise RuntimeError("the load generator needs Content-Length responses")
            length = int(lowered[at + 15 : lowered.find(b"\r\n", at)])
            if length:
                await reader.readexactly(length)
            if started >= measure_from:
                latencies.append(clock() - started)
                if not 200 <= status < 300:
                    bad.append(status)
    finally:
        writer.close()


async def _load(url: str, headers: dict[str, str], concurrency: int, duration: float, warmup: float) -> LoadResult:
    rest = url.split("://", 1)[1]
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    lines = [f"GET /{path} HTTP/1.1", f"Host: {hostport}", "Accept: */*"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    now = time.perf_counter()
    measure_from, stop_at = now + warmup, now + warmup + duration
    latencies: list[float] = []
    bad: list[int] = []
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(
        *(
            _connection(host, int(port or 80), request, measure_from, stop_at, latencies, bad)
            for _ in range(concurrency)
        )
    )
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    used = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    latencies.sort()
    return LoadResult(
        requests=len(latencies),
        seconds=duration,
        rps=len(latencies) / duration,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        non_2xx=len(bad),
        generator_cpu=used / (warmup + duration),
    )


def run_load(
    url: str, headers: dict[str, str] | None = None, concurrency: int = 32, duration: float = 10, warmup: float = 2
) -> LoadResult:
    """Run the load in this process (uvloop when installed). Prefer :func:`load_in_subprocess`."""
    with contextlib.suppress(ImportError):
        import uvloop

        return uvloop.run(_load(url, headers or {}, concurrency, duration, warmup))
    return asyncio.run(_load(url, headers or {}, concurrency, duration, warmup))


def load_in_subprocess(
    url: str,
    headers: dict[str, str] | None = None,
    concurrency: int = 32,
    duration: float = 10,
    warmup: float = 2,
    cores: set[int] | None = None,
) -> LoadResult:
    """The generator in its own process (and core), so it never competes with the server it measures."""
    args = [PYTHON, str(Path(__file__).resolve()), "--load", url, "--concurrency", str(concurrency)]
    args += ["--duration", str(duration), "--warmup", str(warmup), "--headers", json.dumps(headers or {})]
    out = subprocess.run(args, check=True, capture_output=True, text=True, preexec_fn=_pin(cores))
    return LoadResult(**json.loads(out.stdout.strip().splitlines()[-1]))


def measure(
    label: str,
    url: str,
    pid: int,
    headers: dict[str, str] | None,
    args: argparse.Namespace,
    generator_cores: set[int] | None,
) -> dict[str, Any]:
    before = cpu_seconds(pid)
    result = load_in_subprocess(url, headers, args.concurrency, args.duration, args.warmup, generator_cores)
    server_cpu = (cpu_seconds(pid) - before) / (args.duration + args.warmup)
    row = {"label": label, **result.as_dict(), "server_cpu": server_cpu}
    print(
        f"  {label:<28} {result.rps:>9.0f} req/s   p50 {result.p50_ms:6.2f} ms   p99 {result.p99_ms:6.2f} ms   "
        f"non-2xx {result.non_2xx}   server CPU {server_cpu:4.0%}   generator CPU {result.generator_cpu:4.0%}",
        flush=True,
    )
    return row


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, {platform.system()}, "
        f"load average {load} at start"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per target")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also measure /api/v1/me on PostgreSQL (127.0.0.1:5432, a scratch database created and dropped)",
    )
    args = parser.parse_args()

    server_cores, generator_cores = cpus()
    print(f"HTTP baseline, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(
        f"  {args.concurrency} keep-alive connections, {args.warmup:g} s warm-up + {args.duration:g} s measured; "
        f"server on CPU {sorted(server_cores) if server_cores else 'any'}, "
        f"generator on CPU {sorted(generator_cores) if generator_cores else 'any'}",
        flush=True,
    )
    rows = []
    with serve_hello(cores=server_cores) as (base, pid):
        rows.append(measure("hello-world ASGI", base + "/", pid, None, args, generator_cores))
    with tempfile.TemporaryDirectory(prefix="fd-bench-") as tmp:
        env = frontdesk_env(Path(tmp))
        with serve_frontdesk(env, cores=server_cores) as (base, pid):
            headers = sign_up(base)
            rows.append(measure("frontdesk GET /health", base + "/health", pid, None, args, generator_cores))
            rows.append(measure("frontdesk GET /api/v1/me", base + "/api/v1/me", pid, headers, args, generator_cores))
        if args.postgres:
            with scratch_postgres() as url:
                env = frontdesk_env(Path(tmp), FRONTDESK_DATABASE_URL=url)
                with serve_frontdesk(env, cores=server_cores) as (base, pid):
                    headers = sign_up(base)
                    me = base + "/api/v1/me"
                    rows.append(measure("  (on PostgreSQL)", me, pid, headers, args, generator_cores))
    hello, me = rows[0], rows[2]
    ratio = me["rps"] / hello["rps"] if hello["rps"] else 0.0
    verdict = "meets" if ratio >= GOAL_RATIO else "is below"
    print(f"  ratio /api/v1/me : hello-world = {ratio:.1%} ({verdict} the {GOAL_RATIO:.0%} goal)")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "ratio": ratio, "machine": machine()}, indent=2))
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--serve-hello":
        import uvicorn

        uvicorn.run(hello_app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
        sys.exit(0)
    if len(sys.argv) >= 2 and sys.argv[1] == "--load":
        p = argparse.ArgumentParser()
        p.add_argument("--load")
        p.add_argument("--concurrency", type=int)
        p.add_argument("--duration", type=float)
        p.add_argument("--warmup", type=float)
        p.add_argument("--headers")
        a = p.parse_args()
        result = run_load(a.load, json.loads(a.headers), a.concurrency, a.duration, a.warmup)
        print(json.dumps(result.as_dict()))
        sys.exit(0)
    sys.exit(main())
