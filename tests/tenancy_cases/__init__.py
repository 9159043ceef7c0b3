"""Tenancy-walk entries of the later domains, one module per domain.

Each module imports what it needs from ``tests.test_tenancy`` (``Case``, ``seeder``, ``_create``...)
and defines ``CASES``, and optionally ``PUBLIC`` and ``PARAMS``; seeders register themselves with the
``@seeder`` decorator on import. ``tests/test_tenancy.py`` merges them when it is imported, so a domain
never has to edit the shared table.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

DOMAINS = (
    "knowledge",
    "assistant",
    "ai_providers",
    "copilot",
    "whatsapp",
    "scheduling",
    "leads",
    "flows",
    "analytics",
    "notifications",
)


def extend(cases: list[Any], public: dict[Any, str], params: dict[str, Any]) -> None:
    present = {m.name for m in pkgutil.iter_modules(__path__)}
    for name in DOMAINS:
        if name not in present:
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        cases.extend(getattr(module, "CASES", []))
        public.update(getattr(module, "PUBLIC", {}))
        params.update(getattr(module, "PARAMS", {}))
