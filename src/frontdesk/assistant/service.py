"""Assistants and their instruction layers: CRUD, versions with who and when, restore."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import repository, schemas
from frontdesk.assistant.models import Assistant, InstructionVersion
from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.errors import Conflict, NotFound, ValidationFailed
from frontdesk.users import repository as users

SCOPES = ("org", "assistant", "inbox")


def _now(session: AsyncSession) -> datetime:
    return session.info["runtime"].clock.now()


async def list_assistants(session: AsyncSession, scope: OrgScope) -> list[Assistant]:
    return await repository.list_assistants(session, scope.ids)


async def get_assistant(session: AsyncSession, scope: OrgScope, assistant_id: uuid.UUID) -> Assistant:
    row = await repository.get(session, scope.ids, assistant_id)
    if row is None:
        raise NotFound("No such assistant.", code="assistant_not_found")
    return row


async def _check_refs(
    session: AsyncSession, scope: OrgScope, inbox_ids: list[uuid.UUID] | None, collection_ids: list[uuid.UUID] | None
) -> None:
    """Ids must be this organization's; another's answer like missing ones."""
    from frontdesk.inboxes import repository as inboxes

    for inbox_id in inbox_ids or []:
        if await inboxes.get(session, scope.ids, inbox_id) is None:
            raise ValidationFailed("No such inbox.", code="invalid_inbox", details={"inbox_id": str(inbox_id)})
    if collection_ids:
        from frontdesk.knowledge import repository as knowledge

        for collection_id in collection_ids:
            if await knowledge.get_collection(session, scope.ids, collection_id) is None:
                raise ValidationFailed(
                    "No such knowledge collection.",
                    code="invalid_collection",
                    details={"collection_id": str(collection_id)},
                )


async def _name_free(session: AsyncSession, org: uuid.UUID, name: str, exclude: uuid.UUID | None) -> None:
    other = await repository.by_name(session, org, name)
    if other is not None and other.id != exclude:
        raise Conflict("An assistant with this name already exists.", code="assistant_name_taken")


async def create_assistant(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.AssistantCreate
) -> Assistant:
    await _check_refs(session, scope, data.inbox_ids, data.collection_ids)
    await _name_free(session, scope.organization_id, data.name, None)
    now = _now(session)
    values = data.model_dump(exclude={"inbox_ids", "collection_ids"})
    row = Assistant(
        organization_id=scope.organization_id,
        **values,
        inbox_ids=[str(i) for i in dict.fromkeys(data.inbox_ids)],
        collection_ids=[str(c) for c in dict.fromkeys(data.collection_ids)],
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict("An assistant with this name already exists.", code="assistant_name_taken") from None
    if row.instructions:
        await _add_version(session, scope.organization_id, subject, "assistant", str(row.id), row.instructions)
    record(
        session,
        "assistant.created",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="assistant",
        target_id=row.id,
        details={"name": row.name},
    )
    return row


async def update_assistant(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, assistant_id: uuid.UUID, data: schemas.AssistantUpdate
) -> Assistant:
    row = await get_assistant(session, scope, assistant_id)
    changes = data.model_dump(exclude_unset=True)
    for key in ("name", "provider", "model_name", "language", "temperature", "confidence_threshold"):
        if key in changes and changes[key] is None:
            raise ValidationFailed(f"`{key}` cannot be null.", code="invalid_field")
    await _check_refs(session, scope, data.inbox_ids, data.collection_ids)
    if data.name is not None:
        await _name_free(session, scope.organization_id, data.name, row.id)
    for key in ("inbox_ids", "collection_ids"):
        if changes.get(key) is not None:
            changes[key] = [str(i) for i in dict.fromkeys(changes[key])]
    instructions = changes.pop("instructions", None)
    for key, value in changes.items():
        if value is not None:
            setattr(row, key, value)
    if instructions is not None and instructions != row.instructions:
        row.instructions = instructions
        await _add_version(session, scope.organization_id, subject, "assistant", str(row.id), instructions)
    row.updated_at = _now(session)
    record(
        session,
        "assistant.updated",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="assistant",
        target_id=row.id,
        details={"fields": sorted([*changes, *(["instructions"] if instructions is not None else [])])},
    )
    return row


async def delete_assistant(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, assistant_id: uuid.UUID
) -> None:
    row = await get_assistant(session, scope, assistant_id)
    record(
        session,
        "assistant.deleted",
        organization_id=scope.organization_id,
        subject=subject,
        target_type="assistant",
        target_id=row.id,
        details={"name": row.name},
    )
    await session.delete(row)
    await session.flush()


# ---------------------------------------------------------------- instruction layers


async def _add_version(
    session: AsyncSession,
    organization_id: uuid.UUID,
    subject: AuthSubject | None,
    scope: str,
    target: str,
    text: str,
    *,
    restored_from: int | None = None,
) -> InstructionVersion:
    latest = await repository.latest_version(session, organization_id, scope, target)
    name = ""
    if subject is not None and subject.user_id is not None:
        user = await users.get(session, subject.user_id)
        name = (user.name or user.email) if user is not None else ""
    elif subject is not None:
        name = subject.label
    row = InstructionVersion(
        organization_id=organization_id,
        scope=scope,
        target=target,
        version=(latest.version + 1) if latest is not None else 1,
        text=text,
        created_by_id=subject.user_id if subject is not None else None,
        created_by_name=name[:200],
        restored_from=restored_from,
        created_at=_now(session),
    )
    session.add(row)
    await session.flush()
    return row


async def _target(session: AsyncSession, scope: OrgScope, layer: str, target: uuid.UUID | None) -> str:
    if layer == "org":
        return ""
    if target is None:
        raise ValidationFailed("This layer needs a target.", code="target_required")
    if layer == "assistant":
        await get_assistant(session, scope, target)
    else:
        from frontdesk.inboxes import repository as inboxes

        if await inboxes.get(session, scope.ids, target) is None:
            raise NotFound("No such inbox.", code="inbox_not_found")
    return str(target)


async def layer(
    session: AsyncSession, scope: OrgScope, layer_name: str, target: uuid.UUID | None
) -> schemas.InstructionLayer:
    key = await _target(session, scope, layer_name, target)
    rows = await repository.versions(session, scope.organization_id, layer_name, key)
    return schemas.InstructionLayer(
        scope=layer_name,
        target=key,
        text=rows[0].text if rows else "",
        versions=[schemas.InstructionVersion.model_validate(r) for r in rows],
    )


async def set_layer(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    layer_name: str,
    target: uuid.UUID | None,
    text: str,
) -> schemas.InstructionLayer:
    key = await _target(session, scope, layer_name, target)
    current = await repository.current_text(session, scope.organization_id, layer_name, key)
    if text != current:
        await _add_version(session, scope.organization_id, subject, layer_name, key, text)
        await _apply(session, scope, layer_name, target, text)
        record(
            session,
            "assistant.instructions_changed",
            organization_id=scope.organization_id,
            subject=subject,
            target_type=layer_name,
            target_id=key or scope.organization_id,
        )
    return await layer(session, scope, layer_name, target)


async def restore_version(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    layer_name: str,
    target: uuid.UUID | None,
    version: int,
) -> schemas.InstructionLayer:
    key = await _target(session, scope, layer_name, target)
    old = await repository.version(session, scope.organization_id, layer_name, key, version)
    if old is None:
        raise NotFound("No such version.", code="version_not_found")
    await _add_version(session, scope.organization_id, subject, layer_name, key, old.text, restored_from=version)
    await _apply(session, scope, layer_name, target, old.text)
    record(
        session,
        "assistant.instructions_restored",
        organization_id=scope.organization_id,
        subject=subject,
        target_type=layer_name,
        target_id=key or scope.organization_id,
        details={"version": version},
    )
    return await layer(session, scope, layer_name, target)


async def _apply(session: AsyncSession, scope: OrgScope, layer_name: str, target: uuid.UUID | None, text: str) -> None:
    """The assistant row keeps its current text too, so a run reads it without the history."""
    if layer_name == "assistant" and target is not None:
        row = await get_assistant(session, scope, target)
        row.instructions = text
        row.updated_at = _now(session)
