"""Attribute definitions: what an organization's attribute keys mean (type and label).

A defined key's values must have its type, whoever sets them (the API, the widget, a flow), and the
contact panel shows the label instead of the key.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.authz.service import OrgScope
from frontdesk.contacts import attributes as attrs
from frontdesk.contacts.models import AttributeDefinition
from frontdesk.kit.errors import Conflict, NotFound, ValidationFailed

MAX_DEFINITIONS = 500
Kind = Literal["string", "number", "boolean", "date", "json"]


class DefinitionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=80)
    type: Kind
    label: str = Field("", max_length=200)
    description: str = Field("", max_length=2000)


class DefinitionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)


class Definition(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key: str
    type: str
    label: str
    description: str


async def list_definitions(session: AsyncSession, scope: OrgScope) -> list[AttributeDefinition]:
    return list(
        await session.scalars(
            select(AttributeDefinition)
            .where(AttributeDefinition.organization_id.in_(scope.ids))
            .order_by(AttributeDefinition.key)
        )
    )


async def type_of(session: AsyncSession, organization_id: uuid.UUID, key: str) -> str | None:
    return await session.scalar(
        select(AttributeDefinition.type).where(
            AttributeDefinition.organization_id == organization_id, AttributeDefinition.key == key
        )
    )


async def get_definition(session: AsyncSession, scope: OrgScope, key: str) -> AttributeDefinition:
    row = await session.scalar(
        select(AttributeDefinition).where(
            AttributeDefinition.organization_id.in_(scope.ids), AttributeDefinition.key == key
        )
    )
    if row is None:
        raise NotFound(f"No attribute {key!r} is defined.", code="definition_not_found")
    return row


async def create_definition(session: AsyncSession, scope: OrgScope, data: DefinitionCreate) -> AttributeDefinition:
    attrs.check_key(data.key)
    if len(await list_definitions(session, scope)) >= MAX_DEFINITIONS:
        raise ValidationFailed(f"At most {MAX_DEFINITIONS} attribute definitions.", code="too_many_definitions")
    row = AttributeDefinition(
        organization_id=scope.organization_id,
        key=data.key,
        type=data.type,
        label=data.label,
        description=data.description,
        created_at=session.info["runtime"].clock.now(),
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict(f"The attribute {data.key!r} is already defined.", code="definition_exists") from None
    return row


async def update_definition(
    session: AsyncSession, scope: OrgScope, key: str, data: DefinitionUpdate
) -> AttributeDefinition:
    row = await get_definition(session, scope, key)
    if data.label is not None:
        row.label = data.label
    if data.description is not None:
        row.description = data.description
    return row


async def delete_definition(session: AsyncSession, scope: OrgScope, key: str) -> None:
    await session.delete(await get_definition(session, scope, key))


def as_dict(row: AttributeDefinition) -> dict[str, Any]:
    return Definition.model_validate(row).model_dump()
