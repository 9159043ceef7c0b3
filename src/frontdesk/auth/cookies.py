"""The browser session: tokens in httpOnly cookies, plus a readable CSRF cookie to echo back."""

from __future__ import annotations

import uuid

from fastapi import Response

from frontdesk.auth.dependencies import ACCESS_COOKIE, CSRF_COOKIE, ORG_COOKIE, REFRESH_COOKIE
from frontdesk.auth.schemas import TokenPair
from frontdesk.config import Settings
from frontdesk.kit.crypto import new_token


def set_session_cookies(
    response: Response, settings: Settings, tokens: TokenPair, organization_id: uuid.UUID | None = None
) -> str:
    """Set the session cookies; returns the CSRF token pages must echo in forms and headers."""
    secure = settings.public_url.startswith("https://")
    response.set_cookie(
        ACCESS_COOKIE,
        tokens.access_token,
        max_age=tokens.expires_in,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        max_age=settings.refresh_token_days * 86400,
        httponly=True,
        secure=secure,
        samesite="strict",
        path="/",
    )
    csrf = new_token(16)
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=settings.refresh_token_days * 86400,
        httponly=False,
        secure=secure,
        samesite="strict",
        path="/",
    )
    if organization_id is not None:
        set_org_cookie(response, settings, organization_id)
    return csrf


def set_org_cookie(response: Response, settings: Settings, organization_id: uuid.UUID) -> None:
    response.set_cookie(
        ORG_COOKIE,
        str(organization_id),
        max_age=settings.refresh_token_days * 86400,
        httponly=True,
        secure=settings.public_url.startswith("https://"),
        samesite="lax",
        path="/",
    )


def clear_session_cookies(response: Response) -> None:
    for name in (ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE, ORG_COOKIE):
        response.delete_cookie(name, path="/")
