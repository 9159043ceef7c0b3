"""Sign-up, sign-in, tokens, sign-out, passwords and ``/me``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from frontdesk.auth import schemas, service
from frontdesk.auth.dependencies import RuntimeDep, Session, Subject, client_ip
from frontdesk.authz.service import permissions_in
from frontdesk.users import repository as users

router = APIRouter(prefix="/api/v1", tags=["auth"])


async def _limit_auth(request: Request, runtime: RuntimeDep, what: str) -> None:
    # Per address: slows password guessing and reset-mail flooding without locking accounts.
    await runtime.limiter.hit(
        runtime.settings.rate_limit_auth, what, client_ip(request) or "-", what="attempts from this address"
    )


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.TokenPair,
    summary="Create an account and its organization",
)
async def register_account(
    data: schemas.Registration, request: Request, session: Session, runtime: RuntimeDep
) -> schemas.TokenPair:
    await _limit_auth(request, runtime, "register")
    user, _org = await service.register(
        session,
        email=data.email,
        password=data.password,
        name=data.name,
        organization_name=data.organization_name,
        timezone=data.timezone,
        ip=client_ip(request),
    )
    return await service.start_session(
        session, user, ip=client_ip(request), user_agent=request.headers.get("user-agent")
    )


@router.post("/auth/login", response_model=schemas.TokenPair, summary="Sign in with email and password")
async def login(data: schemas.Login, request: Request, session: Session, runtime: RuntimeDep) -> schemas.TokenPair:
    await _limit_auth(request, runtime, "login")
    user = await service.authenticate(session, email=data.email, password=data.password, ip=client_ip(request))
    return await service.start_session(
        session, user, ip=client_ip(request), user_agent=request.headers.get("user-agent")
    )


@router.post(
    "/auth/refresh",
    response_model=schemas.TokenPair,
    summary="Trade a refresh token for a new pair (the old one is spent)",
)
async def refresh_tokens(
    data: schemas.RefreshRequest, request: Request, session: Session, runtime: RuntimeDep
) -> schemas.TokenPair:
    await _limit_auth(request, runtime, "refresh")
    outcome = await service.rotate(
        session, data.refresh_token, ip=client_ip(request), user_agent=request.headers.get("user-agent")
    )
    if outcome.error is not None:
        raise outcome.error
    assert outcome.tokens is not None
    return outcome.tokens


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this session")
async def logout(data: schemas.LogoutRequest, request: Request, session: Session, subject: Subject) -> Response:
    sid = getattr(request.state, "session_id", None)
    await service.logout(session, subject, refresh_token=data.refresh_token, session_id=sid)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=schemas.Me, summary="Who am I, where do I belong, what may I do")
async def read_me(request: Request, session: Session, subject: Subject) -> schemas.Me:
    from frontdesk.authz.service import require_user

    user_id = require_user(subject)
    # resolve_subject left the user and their memberships on the request (one query for both).
    user = getattr(request.state, "user", None) or await users.get(session, user_id)
    assert user is not None
    loaded = getattr(request.state, "memberships", None)
    memberships = [
        schemas.MembershipInfo(
            organization_id=org.id,
            organization_name=org.name,
            organization_slug=org.slug,
            role=m.role,
            status=org.status,
        )
        for m, org in (loaded if loaded is not None else await users.memberships_of(session, user.id))
    ]
    perms = sorted(permissions_in(subject, subject.organization_id)) if subject.organization_id else []
    return schemas.Me(
        id=user.id,
        email=user.email,
        name=user.name,
        is_operator=user.is_operator,
        organization_id=subject.organization_id,
        memberships=memberships,
        permissions=perms,
    )


@router.post(
    "/me/password", status_code=status.HTTP_204_NO_CONTENT, summary="Change my password (signs out every other session)"
)
async def change_password(data: schemas.PasswordChange, session: Session, subject: Subject) -> Response:
    await service.change_password(session, subject, current=data.current_password, new=data.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Email a password reset link (answers the same whether or not the account exists)",
)
async def request_password_reset(
    data: schemas.PasswordResetRequest, request: Request, session: Session, runtime: RuntimeDep
) -> dict[str, str]:
    await _limit_auth(request, runtime, "reset")
    await service.request_password_reset(session, email=data.email, ip=client_ip(request))
    return {"status": "accepted", "message": "If an account uses this address, a reset link is on its way."}


@router.post(
    "/auth/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set a new password with the emailed token",
)
async def confirm_password_reset(
    data: schemas.PasswordReset, request: Request, session: Session, runtime: RuntimeDep
) -> Response:
    await _limit_auth(request, runtime, "reset-confirm")
    await service.reset_password(session, token=data.token, new_password=data.new_password, ip=client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
