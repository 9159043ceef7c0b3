"""Single sign-on through an OpenID Connect provider.

A person reaches these routes in a browser, bounced between us and the provider, so failures are
shown as a short page with a way back rather than as JSON, unless the caller asked for JSON.
"""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from frontdesk.auth import oidc
from frontdesk.auth.cookies import set_session_cookies
from frontdesk.auth.dependencies import RuntimeDep, WriteSession, client_ip
from frontdesk.kit.errors import BadRequest, FrontdeskError

router = APIRouter(prefix="/auth/oidc", tags=["auth"])


class OidcConfig(BaseModel):
    enabled: bool
    button_label: str


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept


def _error_page(exc: FrontdeskError) -> HTMLResponse:
    message = html.escape(exc.message)
    code = html.escape(exc.code)
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in failed · Frontdesk</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">
<h1>Sign-in did not work</h1>
<p id="message">{message}</p>
<p><a href="/login">Back to the sign-in page</a></p>
<p><small>Error code: <code id="code">{code}</code></small></p>
</body></html>"""
    return HTMLResponse(body, status_code=exc.status_code)


def _state_cookie(response: Response, settings_public_url: str, value: str) -> None:
    response.set_cookie(
        oidc.STATE_COOKIE,
        value,
        max_age=oidc.STATE_TTL_SECONDS,
        httponly=True,
        secure=settings_public_url.startswith("https://"),
        # Lax, not Strict: the provider sends the browser back with a top-level GET from its own site.
        samesite="lax",
        path=oidc.STATE_COOKIE_PATH,
    )


async def _limit(request: Request, runtime: RuntimeDep) -> None:
    await runtime.limiter.hit(
        runtime.settings.rate_limit_auth, "oidc", client_ip(request) or "-", what="sign-in attempts from this address"
    )


@router.get("/config", response_model=OidcConfig, summary="Whether single sign-on is offered, for the login page")
async def read_oidc_config(runtime: RuntimeDep) -> OidcConfig:
    return OidcConfig(enabled=oidc.enabled(runtime.settings), button_label=runtime.settings.oidc_button_label)


@router.get(
    "/login",
    status_code=302,
    response_class=RedirectResponse,
    summary="Start single sign-on: redirects to the identity provider",
)
async def start_oidc_login(
    request: Request,
    runtime: RuntimeDep,
    next_path: Annotated[
        str | None, Query(alias="next", max_length=500, description="Path on this site to land on afterwards")
    ] = None,
) -> Response:
    try:
        await _limit(request, runtime)
        start = await oidc.begin_login(runtime, next_path=next_path)
    except FrontdeskError as exc:
        if _wants_html(request):
            return _error_page(exc)
        raise
    response = RedirectResponse(start.authorization_url, status_code=302)
    response.headers["cache-control"] = "no-store"
    _state_cookie(response, runtime.settings.public_url, start.state_cookie)
    return response


@router.get(
    "/callback",
    status_code=303,
    response_class=RedirectResponse,
    summary="Where the identity provider sends the browser back; starts a cookie session",
)
async def finish_oidc_login(
    request: Request,
    session: WriteSession,
    runtime: RuntimeDep,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=1024)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    error_description: Annotated[str | None, Query(max_length=1000)] = None,
) -> Response:
    try:
        await _limit(request, runtime)
        if error:
            detail = f" ({error_description})" if error_description else ""
            raise BadRequest(
                f"The identity provider ended the sign-in: {error}{detail}.",
                code="oidc_provider_refused",
                details={"error": error},
            )
        result = await oidc.complete_login(
            session,
            code=code,
            state=state,
            state_cookie=request.cookies.get(oidc.STATE_COOKIE),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    except FrontdeskError as exc:
        if _wants_html(request):
            # The page is an answer, not an exception, so the request's session would commit: undo first.
            await session.rollback()
            page = _error_page(exc)
            page.delete_cookie(oidc.STATE_COOKIE, path=oidc.STATE_COOKIE_PATH)
            return page
        raise
    response = RedirectResponse(result.next_path, status_code=303)
    response.headers["cache-control"] = "no-store"
    set_session_cookies(response, runtime.settings, result.tokens, organization_id=result.organization_id)
    # Spent: the provider's code is single-use, so the cookie is of no further use to this browser.
    response.delete_cookie(oidc.STATE_COOKIE, path=oidc.STATE_COOKIE_PATH)
    return response
