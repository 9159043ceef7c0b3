"""Leads tests: the app, with the conversation-log routes mounted until the app registers them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from frontdesk.app import create_app
from frontdesk.config import Settings
from frontdesk.kit.clock import Clock


@pytest.fixture
async def app(settings: Settings, clock: Clock | None) -> AsyncIterator[Any]:
    from frontdesk.leads.transcript_endpoints import router

    application = create_app(settings, clock=clock)
    present = {getattr(r, "path", None) for r in application.router.routes}
    if "/api/v1/conversation-retention" not in present:
        application.router.routes.extend(router.routes)
    async with application.router.lifespan_context(application):
        yield application
