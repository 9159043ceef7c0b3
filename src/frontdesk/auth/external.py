"""Accepting JWTs minted by a host application's identity service.

Filled in fully in the external identity work; until configured, any foreign token is refused.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.errors import Unauthorized


async def subject_from_token(request: Request, session: AsyncSession, token: str) -> AuthSubject:
    raise Unauthorized("The access token is not valid.", code="token_invalid")
