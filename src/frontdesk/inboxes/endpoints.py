"""Inboxes and teams of the current organization."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.inboxes import schemas, service

router = APIRouter()
inboxes = APIRouter(prefix="/api/v1/inboxes", tags=["inboxes"])
teams = APIRouter(prefix="/api/v1/teams", tags=["inboxes"])


@inboxes.get("", response_model=list[schemas.Inbox], summary="The organization's inboxes")
async def list_inboxes(session: Session, subject: Subject) -> list[schemas.Inbox]:
    rows = await service.list_inboxes(session, require(subject, "inboxes.read"))
    return [service.to_schema(i) for i in rows]


@inboxes.post("", response_model=schemas.Inbox, status_code=status.HTTP_201_CREATED, summary="Create an inbox")
async def create_inbox(data: schemas.InboxCreate, session: Session, subject: Subject) -> schemas.Inbox:
    inbox = await service.create_inbox(session, require(subject, "inboxes.manage"), subject, data)
    return service.to_schema(inbox)


@inboxes.get("/{inbox_id}", response_model=schemas.Inbox, summary="One inbox and its settings")
async def get_inbox(inbox_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Inbox:
    return service.to_schema(await service.get_inbox(session, require(subject, "inboxes.read"), inbox_id))


@inboxes.patch("/{inbox_id}", response_model=schemas.Inbox, summary="Change an inbox's settings")
async def update_inbox(
    inbox_id: uuid.UUID, data: schemas.InboxUpdate, session: Session, subject: Subject
) -> schemas.Inbox:
    inbox = await service.update_inbox(session, require(subject, "inboxes.manage"), subject, inbox_id, data)
    return service.to_schema(inbox)


@inboxes.delete("/{inbox_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an inbox (its history is kept)")
async def delete_inbox(inbox_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await service.delete_inbox(session, require(subject, "inboxes.manage"), subject, inbox_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@inboxes.post(
    "/{inbox_id}/rotate-token", response_model=schemas.Inbox, summary="Replace the public token the snippet carries"
)
async def rotate_inbox_token(inbox_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Inbox:
    inbox = await service.rotate_token(session, require(subject, "inboxes.manage"), subject, inbox_id)
    return service.to_schema(inbox)


@inboxes.post(
    "/{inbox_id}/identity-secret",
    response_model=schemas.IdentitySecret,
    status_code=status.HTTP_201_CREATED,
    summary="Create (or replace) the identity verification secret; shown this once",
)
async def create_identity_secret(inbox_id: uuid.UUID, session: Session, subject: Subject) -> schemas.IdentitySecret:
    secret = await service.create_identity_secret(session, require(subject, "inboxes.manage"), subject, inbox_id)
    return schemas.IdentitySecret(identity_secret=secret)


@inboxes.get("/{inbox_id}/snippet", response_model=schemas.Snippet, summary="The script tag that embeds the widget")
async def get_inbox_snippet(inbox_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Snippet:
    return await service.get_snippet(session, require(subject, "inboxes.read"), inbox_id)


@inboxes.get(
    "/{inbox_id}/status", response_model=schemas.InboxStatus, summary="Whether the inbox is within business hours"
)
async def get_inbox_status(inbox_id: uuid.UUID, session: Session, subject: Subject) -> schemas.InboxStatus:
    return await service.get_status(session, require(subject, "inboxes.read"), inbox_id)


@teams.get("", response_model=list[schemas.Team], summary="The organization's teams and their members")
async def list_teams(session: Session, subject: Subject) -> list[schemas.Team]:
    rows = await service.list_teams(session, require(subject, "inboxes.read"))
    return await service.team_schemas(session, rows)


@teams.post("", response_model=schemas.Team, status_code=status.HTTP_201_CREATED, summary="Create a team")
async def create_team(data: schemas.TeamCreate, session: Session, subject: Subject) -> schemas.Team:
    team = await service.create_team(session, require(subject, "inboxes.manage"), subject, data)
    return (await service.team_schemas(session, [team]))[0]


@teams.get("/{team_id}", response_model=schemas.Team, summary="One team and its members")
async def get_team(team_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Team:
    team = await service.get_team(session, require(subject, "inboxes.read"), team_id)
    return (await service.team_schemas(session, [team]))[0]


@teams.patch("/{team_id}", response_model=schemas.Team, summary="Rename or describe a team")
async def update_team(team_id: uuid.UUID, data: schemas.TeamUpdate, session: Session, subject: Subject) -> schemas.Team:
    team = await service.update_team(session, require(subject, "inboxes.manage"), subject, team_id, data)
    return (await service.team_schemas(session, [team]))[0]


@teams.delete("/{team_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a team")
async def delete_team(team_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await service.delete_team(session, require(subject, "inboxes.manage"), subject, team_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@teams.post("/{team_id}/members", response_model=schemas.Team, summary="Add a member of the organization")
async def add_team_member(
    team_id: uuid.UUID, data: schemas.TeamMemberAdd, session: Session, subject: Subject
) -> schemas.Team:
    team = await service.add_team_member(session, require(subject, "inboxes.manage"), subject, team_id, data.user_id)
    return (await service.team_schemas(session, [team]))[0]


@teams.delete("/{team_id}/members/{user_id}", response_model=schemas.Team, summary="Remove a member from the team")
async def remove_team_member(
    team_id: uuid.UUID, user_id: uuid.UUID, session: Session, subject: Subject
) -> schemas.Team:
    team = await service.remove_team_member(session, require(subject, "inboxes.manage"), subject, team_id, user_id)
    return (await service.team_schemas(session, [team]))[0]


router.routes.extend(inboxes.routes)
router.routes.extend(teams.routes)
