"""The current organization and its members."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.orgs import schemas, service
from frontdesk.orgs.models import Membership
from frontdesk.users.models import User

router = APIRouter(prefix="/api/v1", tags=["organizations"])


def _member(m: Membership, u: User) -> schemas.Member:
    return schemas.Member(id=m.id, user_id=u.id, email=u.email, name=u.name, role=m.role, joined_at=m.created_at)


@router.get("/organization", response_model=schemas.Organization, summary="The current organization")
async def read_organization(session: Session, subject: Subject) -> schemas.Organization:
    org = await service.get_organization(session, require(subject, "org.read"))
    return schemas.Organization.model_validate(org)


@router.patch("/organization", response_model=schemas.Organization, summary="Rename or move time zone")
async def update_organization(
    data: schemas.OrganizationUpdate, session: Session, subject: Subject
) -> schemas.Organization:
    org = await service.update_organization(
        session, require(subject, "org.update"), subject, name=data.name, timezone=data.timezone
    )
    return schemas.Organization.model_validate(org)


@router.get("/members", response_model=list[schemas.Member], summary="People in the organization")
async def list_members(session: Session, subject: Subject) -> list[schemas.Member]:
    return [_member(m, u) for m, u in await service.list_members(session, require(subject, "members.read"))]


@router.patch("/members/{membership_id}", response_model=schemas.Member, summary="Change a member's role")
async def update_member(
    membership_id: uuid.UUID, data: schemas.MemberUpdate, session: Session, subject: Subject
) -> schemas.Member:
    m, u = await service.change_role(
        session, require(subject, "members.manage"), subject, membership_id, role=data.role.value
    )
    return _member(m, u)


@router.delete(
    "/members/{membership_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a member from the organization"
)
async def delete_member(membership_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await service.remove_member(session, require(subject, "members.manage"), subject, membership_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
