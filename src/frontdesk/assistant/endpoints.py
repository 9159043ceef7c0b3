"""Assistants of the current organization and their versioned instruction layers.

Reading needs ``conversations.read`` (agents see which assistant answered and why); writing needs
``assistants.manage``.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from frontdesk.assistant import schemas, service
from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require

router = APIRouter(prefix="/api/v1", tags=["assistants"])

READ = "conversations.read"
WRITE = "assistants.manage"


@router.get("/assistants", response_model=list[schemas.Assistant], summary="The organization's assistants")
async def list_assistants(session: Session, subject: Subject) -> list[schemas.Assistant]:
    rows = await service.list_assistants(session, require(subject, READ))
    return [schemas.Assistant.model_validate(r) for r in rows]


@router.post(
    "/assistants", response_model=schemas.Assistant, status_code=status.HTTP_201_CREATED, summary="Create an assistant"
)
async def create_assistant(data: schemas.AssistantCreate, session: Session, subject: Subject) -> schemas.Assistant:
    row = await service.create_assistant(session, require(subject, WRITE), subject, data)
    return schemas.Assistant.model_validate(row)


@router.get("/assistants/{assistant_id}", response_model=schemas.Assistant, summary="One assistant")
async def get_assistant(assistant_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Assistant:
    row = await service.get_assistant(session, require(subject, READ), assistant_id)
    return schemas.Assistant.model_validate(row)


@router.patch(
    "/assistants/{assistant_id}",
    response_model=schemas.Assistant,
    summary="Change an assistant; a changed `instructions` is kept as a new version",
)
async def update_assistant(
    assistant_id: uuid.UUID, data: schemas.AssistantUpdate, session: Session, subject: Subject
) -> schemas.Assistant:
    row = await service.update_assistant(session, require(subject, WRITE), subject, assistant_id, data)
    return schemas.Assistant.model_validate(row)


@router.delete("/assistants/{assistant_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an assistant")
async def delete_assistant(assistant_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await service.delete_assistant(session, require(subject, WRITE), subject, assistant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/assistants/{assistant_id}/instructions",
    response_model=schemas.InstructionLayer,
    summary="An assistant's instructions and every earlier version, newest first",
)
async def get_assistant_instructions(
    assistant_id: uuid.UUID, session: Session, subject: Subject
) -> schemas.InstructionLayer:
    return await service.layer(session, require(subject, READ), "assistant", assistant_id)


@router.put(
    "/assistants/{assistant_id}/instructions",
    response_model=schemas.InstructionLayer,
    summary="Replace an assistant's instructions (a new version)",
)
async def set_assistant_instructions(
    assistant_id: uuid.UUID, data: schemas.InstructionsUpdate, session: Session, subject: Subject
) -> schemas.InstructionLayer:
    return await service.set_layer(session, require(subject, WRITE), subject, "assistant", assistant_id, data.text)


@router.post(
    "/assistants/{assistant_id}/instructions/versions/{version}/restore",
    response_model=schemas.InstructionLayer,
    summary="Restore an earlier version of an assistant's instructions (as a new version)",
)
async def restore_assistant_instructions(
    assistant_id: uuid.UUID, version: int, session: Session, subject: Subject
) -> schemas.InstructionLayer:
    return await service.restore_version(session, require(subject, WRITE), subject, "assistant", assistant_id, version)


@router.get(
    "/assistant-instructions/organization",
    response_model=schemas.InstructionLayer,
    summary="The organization's default instructions for every assistant, with versions",
)
async def get_org_instructions(session: Session, subject: Subject) -> schemas.InstructionLayer:
    return await service.layer(session, require(subject, READ), "org", None)


@router.put(
    "/assistant-instructions/organization",
    response_model=schemas.InstructionLayer,
    summary="Replace the organization's default instructions (a new version)",
)
async def set_org_instructions(
    data: schemas.InstructionsUpdate, session: Session, subject: Subject
) -> schemas.InstructionLayer:
    return await service.set_layer(session, require(subject, WRITE), subject, "org", None, data.text)


@router.post(
    "/assistant-instructions/organization/versions/{version}/restore",
    response_model=schemas.InstructionLayer,
    summary="Restore an earlier version of the organization's default instructions",
)
async def restore_org_instructions(version: int, session: Session, subject: Subject) -> schemas.InstructionLayer:
    return await service.restore_version(session, require(subject, WRITE), subject, "org", None, version)


@router.get(
    "/inboxes/{inbox_id}/assistant-instructions",
    response_model=schemas.InstructionLayer,
    summary="The assistant instructions for one inbox, with versions",
)
async def get_inbox_instructions(inbox_id: uuid.UUID, session: Session, subject: Subject) -> schemas.InstructionLayer:
    return await service.layer(session, require(subject, READ), "inbox", inbox_id)


@router.put(
    "/inboxes/{inbox_id}/assistant-instructions",
    response_model=schemas.InstructionLayer,
    summary="Replace one inbox's assistant instructions (a new version)",
)
async def set_inbox_instructions(
    inbox_id: uuid.UUID, data: schemas.InstructionsUpdate, session: Session, subject: Subject
) -> schemas.InstructionLayer:
    return await service.set_layer(session, require(subject, WRITE), subject, "inbox", inbox_id, data.text)


@router.post(
    "/inboxes/{inbox_id}/assistant-instructions/versions/{version}/restore",
    response_model=schemas.InstructionLayer,
    summary="Restore an earlier version of one inbox's assistant instructions",
)
async def restore_inbox_instructions(
    inbox_id: uuid.UUID, version: int, session: Session, subject: Subject
) -> schemas.InstructionLayer:
    return await service.restore_version(session, require(subject, WRITE), subject, "inbox", inbox_id, version)
