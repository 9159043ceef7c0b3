"""The permission matrix, readable by anyone signed in."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel

from frontdesk.auth.dependencies import Subject
from frontdesk.authz.permissions import MATRIX, PERMISSIONS, ROLE_RANK
from frontdesk.authz.service import current_org, permissions_in
from frontdesk.kit.errors import ValidationFailed

router = APIRouter(prefix="/api/v1", tags=["authz"])


class RoleInfo(BaseModel):
    name: str
    rank: int
    permissions: list[str]


class RolesOut(BaseModel):
    roles: list[RoleInfo]
    permissions: dict[str, str]


class PermissionCheck(BaseModel):
    permission: str
    allowed: bool
    role: str | None
    organization_id: str


@router.get("/roles", response_model=RolesOut, summary="Every role and what it may do")
async def list_roles(subject: Subject) -> RolesOut:
    roles = [RoleInfo(name=r.value, rank=ROLE_RANK[r], permissions=sorted(p)) for r, p in MATRIX.items()]
    return RolesOut(roles=sorted(roles, key=lambda r: -r.rank), permissions=PERMISSIONS)


@router.get(
    "/permissions/check",
    response_model=PermissionCheck,
    summary="Whether I hold a permission in the current organization",
)
async def check_permission(subject: Subject, permission: str = Query(max_length=80)) -> PermissionCheck:
    if permission not in PERMISSIONS:
        raise ValidationFailed(
            f"There is no permission called {permission!r}.",
            code="unknown_permission",
            details={"known": sorted(PERMISSIONS)},
        )
    org_id = current_org(subject)
    return PermissionCheck(
        permission=permission,
        allowed=permission in permissions_in(subject, org_id),
        role=subject.memberships.get(org_id),
        organization_id=str(org_id),
    )
