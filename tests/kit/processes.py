"""Helpers for tests that run real ``frontdesk`` processes: spawning, waiting, an SMTP sink.

Everything listens on 127.0.0.1 and every wait polls with a deadline, so a slow machine makes the
tests slower, never flaky, and a broken process fails them with its log attached.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from tests.conftest import free_port

SECRET = "process-test-secret-key-0123456789-abcdefghijkl"


def frontdesk_env(tmp_path: Path, **settings: Any) -> dict[str, str]:
    """The environment of a child process: ours minus any FRONTDESK_* the developer has set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env.update(
        PYTHONUNBUFFERED="1",
        FRONTDESK_DATA_DIR=str(tmp_path / "var"),
        FRONTDESK_SECRET_KEY=SECRET,
        FRONTDESK_ARGON2_MEMORY_KIB="1024",
        FRONTDESK_ARGON2_TIME_COST="1",
        FRONTDESK_RATE_LIMIT_AUTH="10000/minute",
        FRONTDESK_SWEEP_INTERVAL_SECONDS="0.1",
        FRONTDESK_LOG_LEVEL="INFO",
        FRONTDESK_LOG_JSON="true",
    )
    env.update({f"FRONTDESK_{k.upper()}": str(v) for k, v in settings.items()})
    return env


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill_hard(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a crash or an OOM kill."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM and wait; SIGKILL only if it will not stop."""
        if not self.alive():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_hard()


def spawn(name: str, args: list[str], env: dict[str, str], tmp_path: Path, *, port: int | None = None) -> Proc:
    log_path = tmp_path / f"{name}.log"
    log_file = log_path.open("ab")
    try:
        popen = subprocess.Popen(
            [sys.executable, "-m", "frontdesk.cli", *args],
            env=env,
            cwd=tmp_path,  # no stray .env from the checkout
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    finally:
        log_file.close()
    return Proc(name=name, popen=popen, log_path=log_path, port=port)


def spawn_server(name: str, env: dict[str, str], tmp_path: Path, *extra: str) -> Proc:
    port = free_port()
    return spawn(name, ["serve", "--host", "127.0.0.1", "--port", str(port), *extra], env, tmp_path, port=port)


async def eventually(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool],
    *,
    timeout: float,
    what: str,
    procs: tuple[Proc, ...] = (),
    interval: float = 0.05,
) -> None:
    """Poll ``check`` until true; on timeout fail with the logs of ``procs``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.name} (alive={p.alive()}) ---\n{p.log()[-4000:]}" for p in procs)
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{logs}")
        await asyncio.sleep(interval)


async def wait_healthy(proc: Proc, timeout: float = 30.0) -> None:
    async with httpx.AsyncClient(timeout=2.0) as http:

        async def answers() -> bool:
            assert proc.alive(), f"{proc.name} exited with {proc.popen.returncode}:\n{proc.log()[-4000:]}"
            try:
                return (await http.get(proc.url + "/health")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(answers, timeout=timeout, what=f"{proc.name} to answer /health", procs=(proc,))


async def wait_for_line(proc: Proc, text: str, timeout: float = 30.0) -> None:
    def printed() -> bool:
        assert proc.alive(), f"{proc.name} exited with {proc.popen.returncode}:\n{proc.log()[-4000:]}"
        return text in proc.log()

    await eventually(printed, timeout=timeout, what=f"{proc.name} to print {text!r}", procs=(proc,))


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd) on a loopback port that keeps what it accepted.

    ``stall_first`` holds the first delivery open without answering, so the sending process can be
    killed mid-job; the stalled message is never accepted. Times are wall-clock, comparable with the
    database's timestamps.
    """

    stall_first: bool = False
    port: int = field(default_factory=free_port)
    accepted: list[tuple[float, Message]] = field(default_factory=list)
    stalled: threading.Event = field(default_factory=threading.Event)
    stalled_at: float | None = None
    _release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            stall = self.stall_first and not self.stalled.is_set()
            if stall:
                self.stalled_at = time.time()
                self.stalled.set()
        if stall:
            while not self._release.is_set():
                await asyncio.sleep(0.05)
            return "451 Try again later"
        with self._lock:
            self.accepted.append((time.time(), message_from_bytes(envelope.content)))
        return "250 Message accepted"

    def start(self) -> SmtpSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._controller is not None:
            self._controller.stop()

    def count(self) -> int:
        with self._lock:
            return len(self.accepted)

    def env(self) -> dict[str, Any]:
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_starttls": "false"}
