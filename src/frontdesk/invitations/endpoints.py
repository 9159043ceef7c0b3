"""Invitations into the current organization, and the two public steps of accepting one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status

from frontdesk.auth import service as auth
from frontdesk.auth.dependencies import OptionalSubject, RuntimeDep, Session, Subject, client_ip
from frontdesk.authz.service import require
from frontdesk.invitations import schemas, service
from frontdesk.invitations.models import Invitation

router = APIRouter(prefix="/api/v1/invitations", tags=["invitations"])

StatusFilter = Literal["pending", "accepted", "revoked", "expired", "all"]


def _out(inv: Invitation, now: datetime) -> schemas.Invitation:
    fields = {name: getattr(inv, name) for name in schemas.Invitation.model_fields if name != "status"}
    return schemas.Invitation.model_validate({**fields, "status": service.invitation_status(inv, now)})


async def _limit(request: Request, runtime: RuntimeDep, what: str) -> None:
    # The token cannot be guessed, but accepting checks a password: limit it like sign-in.
    await runtime.limiter.hit(
        runtime.settings.rate_limit_auth, what, client_ip(request) or "-", what="attempts from this address"
    )


@router.get("", response_model=list[schemas.Invitation], summary="Invitations, pending ones unless asked otherwise")
async def list_invitations(
    session: Session,
    subject: Subject,
    runtime: RuntimeDep,
    status_filter: Annotated[StatusFilter, Query(alias="status")] = "pending",
) -> list[schemas.Invitation]:
    rows = await service.list_invitations(session, require(subject, "invitations.read"), status=status_filter)
    now = runtime.clock.now()
    return [_out(inv, now) for inv in rows]


@router.post(
    "",
    response_model=schemas.InvitationCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Invite someone by email; the token and link are in this response only",
)
async def create_invitation(
    data: schemas.InvitationCreate, session: Session, subject: Subject, runtime: RuntimeDep
) -> schemas.InvitationCreated:
    inv, token = await service.create_invitation(
        session, require(subject, "invitations.manage"), subject, email=data.email, role=data.role.value
    )
    return schemas.InvitationCreated.model_validate(
        {
            **_out(inv, runtime.clock.now()).model_dump(),
            "token": token,
            "accept_url": service.accept_url(session, token),
        }
    )


@router.get(
    "/lookup",
    response_model=schemas.InvitationPreview,
    summary="What an invitation link is for (no sign-in needed; for the accept page)",
)
async def lookup_invitation(
    session: Session,
    request: Request,
    runtime: RuntimeDep,
    token: Annotated[str, Query(min_length=1, max_length=200)],
) -> schemas.InvitationPreview:
    await _limit(request, runtime, "invitation-lookup")
    return await service.lookup_invitation(session, token)


@router.post(
    "/accept",
    response_model=schemas.InvitationAccepted,
    summary="Accept an invitation: creates the account or links the existing one, then signs in",
)
async def accept_invitation(
    data: schemas.InvitationAccept,
    request: Request,
    session: Session,
    subject: OptionalSubject,
    runtime: RuntimeDep,
) -> schemas.InvitationAccepted:
    await _limit(request, runtime, "invitation-accept")
    ip = client_ip(request)
    user, membership = await service.accept_invitation(
        session, token=data.token, name=data.name, password=data.password, subject=subject, ip=ip
    )
    tokens = await auth.start_session(session, user, ip=ip, user_agent=request.headers.get("user-agent"))
    return schemas.InvitationAccepted(
        **tokens.model_dump(), user_id=user.id, organization_id=membership.organization_id
    )


@router.delete("/{invitation_id}", response_model=schemas.Invitation, summary="Revoke an invitation at once")
async def revoke_invitation(
    invitation_id: uuid.UUID, session: Session, subject: Subject, runtime: RuntimeDep
) -> schemas.Invitation:
    inv = await service.revoke_invitation(session, require(subject, "invitations.manage"), subject, invitation_id)
    return _out(inv, runtime.clock.now())
