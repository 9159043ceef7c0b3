"""AI providers: one builder per kind, turning an organization's provider row into a pydantic-ai model.

``registry.model_for`` is the entry point for assistants; ``model_for_organization`` serves callers
with no assistant (the staff assistant). Both are re-exported lazily here, because the registry
imports modules that import ``providers.base`` in turn.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_ai.models import Model
    from sqlalchemy.ext.asyncio import AsyncSession


async def model_for(session: AsyncSession, runtime: Any, organization_id: uuid.UUID, assistant: Any) -> Model:
    from frontdesk.assistant.providers.registry import model_for as build

    return await build(session, runtime, organization_id, assistant)


async def model_for_organization(session: AsyncSession, runtime: Any, organization_id: uuid.UUID) -> Model | None:
    from frontdesk.assistant.providers.registry import model_for_organization as build

    return await build(session, runtime, organization_id)
