"""Resident memory of ``frontdesk serve`` on SQLite: after start-up, and after some traffic.

The server is started exactly as an operator would (``frontdesk migrate`` then ``frontdesk serve``),
and its RSS is read from ``/proc/<pid>/status``. Goal: under 150 MB after start-up.

Run: ``.venv/bin/python bench/idle_memory.py``
"""

from __future__ import annotations

import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_baseline import frontdesk_env, machine, rss_mb, serve_frontdesk, sign_up

GOAL_MB = 150.0
SETTLE_SECONDS = 3.0


def main() -> int:
    print(f"Idle memory, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    with tempfile.TemporaryDirectory(prefix="fd-bench-") as tmp:
        env = frontdesk_env(Path(tmp))
        with serve_frontdesk(env) as (base, pid):
            # Let the lifespan finish importing the job handlers and the sweeper take its first turn.
            time.sleep(SETTLE_SECONDS)
            idle = rss_mb(pid)
            headers = sign_up(base)
            for _ in range(300):
                req = urllib.request.Request(base + "/api/v1/me", headers=headers)
                with urllib.request.urlopen(req, timeout=10) as r:
                    r.read()
            for page in ("/health/ready", "/metrics", "/openapi.json", "/docs"):
                with urllib.request.urlopen(base + page, timeout=10) as r:
                    r.read()
            time.sleep(1)
            warm = rss_mb(pid)
    verdict = "meets" if idle < GOAL_MB else "is above"
    print(f"  RSS after start-up (idle {SETTLE_SECONDS:g} s)   {idle:7.1f} MB   ({verdict} the {GOAL_MB:.0f} MB goal)")
    print(f"  RSS after 300 x /api/v1/me + docs  {warm:7.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
