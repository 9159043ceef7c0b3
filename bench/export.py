"""Lead exports: 100,000 leads to xlsx and CSV, seconds and peak memory, next to a naive baseline.

Each measurement runs in its own process so its peak resident memory (``VmHWM``) is its own:

* ``floor``: the process after importing Frontdesk and opening the database, exporting nothing;
* ``naive xlsx`` / ``naive csv``: the baseline most code starts with: every lead loaded as an ORM
  object at once, then an ordinary (not write-only) openpyxl workbook, or the csv module over the list;
* ``streamed xlsx`` / ``streamed csv``: what Frontdesk runs (``frontdesk.leads.exports.write_leads``):
  keyset batches of ``FRONTDESK_LEAD_EXPORT_BATCH_SIZE`` rows, openpyxl write-only mode, progress saved
  per batch (here into a no-op callback).

The leads live in a scratch SQLite database (migrated, then filled with one INSERT per 5,000 rows).
Goal: the streamed exports stay under 200 MB peak.

Run: ``.venv/bin/python bench/export.py [--leads 100000] [--skip-naive]``
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from http_baseline import machine  # noqa: E402

GOAL_MB = 200


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _settings(db: Path, data_dir: Path) -> Any:
    from frontdesk.config import Settings

    return Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{db}",
        data_dir=data_dir,
        secret_key="bench-secret-key-that-is-long-enough-0123456789",
        log_level="WARNING",
    )


async def fill(db: Path, data_dir: Path, count: int) -> str:
    from sqlalchemy import insert

    from frontdesk.contacts.models import Contact
    from frontdesk.kit.db import transaction
    from frontdesk.kit.ids import new_id
    from frontdesk.kit.migrate import upgrade
    from frontdesk.kit.runtime import Runtime
    from frontdesk.leads.models import Lead
    from frontdesk.orgs.models import Organization

    await asyncio.to_thread(upgrade, f"sqlite+aiosqlite:///{db}", verbose=False)
    runtime = Runtime(_settings(db, data_dir))
    org_id = new_id()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    statuses = ["new", "contacted", "qualified", "follow_up", "won", "lost"]
    try:
        async with transaction(runtime.sessionmaker) as session:
            session.add(Organization(id=org_id, name="Bench Org", slug=f"bench-{uuid.uuid4().hex[:8]}"))
        chunk = 5000
        for offset in range(0, count, chunk):
            n = min(chunk, count - offset)
            contacts = [
                {"id": new_id(), "organization_id": org_id, "name": f"Person {offset + i}", "description": "",
                 "blocked": False, "created_at": start}
                for i in range(n)
            ]  # fmt: skip
            leads = []
            for i, c in enumerate(contacts):
                k = offset + i
                leads.append(
                    {
                        "id": new_id(),
                        "organization_id": org_id,
                        "contact_id": c["id"],
                        "source": "assistant" if k % 3 else "prechat",
                        "name": f"Person {k}",
                        "email": f"person{k}@example.com",
                        "phone": f"+4915{k:09d}",
                        "company": ("=HYPERLINK(1)" if k % 1000 == 0 else f"Company {k % 997}"),
                        "need": f"A website with {k % 50} pages and a booking form for {k % 7} locations",
                        "budget": f"{(k % 20) * 500} EUR",
                        "timeframe": "within 3 weeks",
                        "status": statuses[k % len(statuses)],
                        "score": k % 101,
                        "score_auto": True,
                        "notes": "Called twice; wants a quote." if k % 5 == 0 else "",
                        "next_follow_up_at": start + timedelta(hours=k % 500) if k % 2 else None,
                        "created_at": start + timedelta(seconds=k),
                        "updated_at": start + timedelta(seconds=k),
                    }
                )
            async with transaction(runtime.sessionmaker) as session:
                await session.execute(insert(Contact), contacts)
                await session.execute(insert(Lead), leads)
    finally:
        await runtime.engine.dispose()
        await runtime.read_engine.dispose()
    return str(org_id)


async def run_phase(phase: str, db: Path, data_dir: Path, org: str, out: Path) -> dict[str, Any]:
    from frontdesk.kit.runtime import Runtime

    runtime = Runtime(_settings(db, data_dir))
    org_id = uuid.UUID(org)
    rows = 0
    began = time.perf_counter()
    try:
        if phase == "floor":
            async with runtime.read_sessionmaker() as session:
                from sqlalchemy import text

                rows = int((await session.execute(text("select count(*) from leads"))).scalar() or 0)
        elif phase.startswith("naive"):
            rows = await _naive(runtime, org_id, phase.split()[1], out)
        else:
            from frontdesk.leads.exports import write_leads
            from frontdesk.leads.repository import LeadFilter

            updates = 0

            async def progress(done: int, total: int) -> None:
                nonlocal updates
                updates += 1

            rows = await write_leads(runtime, org_id, LeadFilter(), phase.split()[1], out, progress=progress)
    finally:
        await runtime.engine.dispose()
        await runtime.read_engine.dispose()
    seconds = time.perf_counter() - began
    size = out.stat().st_size if out.exists() else 0
    return {"phase": phase, "rows": rows, "seconds": seconds, "peak_mb": peak_mb(), "size_mb": size / 1e6}


async def _naive(runtime: Any, org_id: uuid.UUID, fmt: str, out: Path) -> int:
    """The obvious version: everything in memory, then an ordinary workbook."""
    from openpyxl import Workbook
    from sqlalchemy import select

    from frontdesk.leads.models import Lead
    from frontdesk.leads.writers import COLUMNS

    async with runtime.read_sessionmaker() as session:
        leads = list(
            await session.scalars(select(Lead).where(Lead.organization_id == org_id).order_by(Lead.created_at))
        )
    keys = [c.key for c in COLUMNS]
    table = [[getattr(lead, k, None) if k not in ("owner",) else None for k in keys] for lead in leads]
    if fmt == "csv":
        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([c.header for c in COLUMNS])
            writer.writerows(table)
    else:
        wb = Workbook()
        ws = wb.active
        ws.append([c.header for c in COLUMNS])
        for row in table:
            ws.append([_cell(v) for v in row])
        wb.save(str(out))
    return len(leads)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return str(value) if isinstance(value, uuid.UUID) else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--org", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        from frontdesk.kit.logging import configure_logging

        configure_logging("WARNING", True)
        db = Path(args.db)
        result = asyncio.run(run_phase(args.phase, db, db.parent / "var", args.org, Path(args.out)))
        print(json.dumps(result))
        return

    print(machine())
    with tempfile.TemporaryDirectory(prefix="fd-bench-export-") as tmp:
        db = Path(tmp) / "bench.db"
        began = time.perf_counter()
        org = asyncio.run(fill(db, Path(tmp) / "var", args.leads))
        print(f"filled {args.leads:,} leads in {time.perf_counter() - began:.1f} s")
        phases = ["floor", "streamed xlsx", "streamed csv"]
        if not args.skip_naive:
            phases[1:1] = ["naive xlsx", "naive csv"]
        results = {}
        for phase in phases:
            out = Path(tmp) / f"{phase.replace(' ', '-')}.{phase.split()[-1] if ' ' in phase else 'none'}"
            proc = subprocess.run(
                [sys.executable, __file__, "--phase", phase, "--db", str(db), "--org", org, "--out", str(out)],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                print(f"{phase}: failed\n{proc.stderr[-2000:]}")
                continue
            results[phase] = json.loads(proc.stdout.strip().splitlines()[-1])
    floor = results.get("floor", {}).get("peak_mb", 0.0)
    print()
    print(f"{'export':<15} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'peak MB':>8} {'over floor':>10} {'file MB':>8}")
    for phase, r in results.items():
        rate = r["rows"] / r["seconds"] if r["seconds"] and phase != "floor" else 0
        print(
            f"{phase:<15} {r['rows']:>8,} {r['seconds']:>8.2f} {rate:>9,.0f} {r['peak_mb']:>8.1f} "
            f"{r['peak_mb'] - floor:>10.1f} {r['size_mb']:>8.1f}"
        )
    print()
    for fmt in ("xlsx", "csv"):
        naive, ours = results.get(f"naive {fmt}"), results.get(f"streamed {fmt}")
        if naive and ours:
            print(
                f"{fmt}: streamed uses {ours['peak_mb'] / naive['peak_mb']:.2f}x the naive peak memory "
                f"and {ours['seconds'] / naive['seconds']:.2f}x its time"
            )
        if ours:
            verdict = "meets" if ours["peak_mb"] < GOAL_MB else "MISSES"
            print(f"{fmt}: streamed peak {ours['peak_mb']:.0f} MB {verdict} the goal of < {GOAL_MB} MB")


if __name__ == "__main__":
    main()
