"""Contacts of the current organization and their typed attributes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response, status

from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.contacts import definitions, schemas, service
from frontdesk.kit.pagination import Page, PageParams, page_of

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])

Paging = Annotated[PageParams, Depends()]


@router.get("", response_model=Page[schemas.Contact], summary="Contacts, newest first; search and filter")
async def list_contacts(
    session: Session,
    subject: Subject,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=200, description="Part of a name, email or phone number.")] = None,
    attr: Annotated[
        list[str],
        Query(
            description="Attribute filters `key:op:value` (repeat for AND); ops: eq, ne, gt, gte, lt, lte, contains, "
            "exists (`key:exists`).",
        ),
    ] = [],  # noqa: B006 (FastAPI copies query defaults per request)
) -> Page[schemas.Contact]:
    rows, total = await service.list_contacts(session, require(subject, "contacts.read"), q=q, attr=attr, paging=paging)
    return page_of(await service.to_schema(session, rows), total, paging)


@router.post("", response_model=schemas.Contact, status_code=status.HTTP_201_CREATED, summary="Create a contact")
async def create_contact(data: schemas.ContactCreate, session: Session, subject: Subject) -> schemas.Contact:
    contact = await service.create_contact(session, require(subject, "contacts.write"), subject, data)
    return (await service.to_schema(session, [contact]))[0]


@router.get(
    "/attribute-definitions",
    response_model=list[definitions.Definition],
    summary="The organization's attribute keys with their type and label",
)
async def list_attribute_definitions(session: Session, subject: Subject) -> list[definitions.Definition]:
    rows = await definitions.list_definitions(session, require(subject, "contacts.read"))
    return [definitions.Definition.model_validate(r) for r in rows]


@router.post(
    "/attribute-definitions",
    response_model=definitions.Definition,
    status_code=status.HTTP_201_CREATED,
    summary="Define an attribute key: its values must then have this type",
)
async def create_attribute_definition(
    data: definitions.DefinitionCreate, session: Session, subject: Subject
) -> definitions.Definition:
    row = await definitions.create_definition(session, require(subject, "contacts.write"), data)
    return definitions.Definition.model_validate(row)


@router.patch(
    "/attribute-definitions/{key}", response_model=definitions.Definition, summary="Change a definition's label"
)
async def update_attribute_definition(
    key: str, data: definitions.DefinitionUpdate, session: Session, subject: Subject
) -> definitions.Definition:
    row = await definitions.update_definition(session, require(subject, "contacts.write"), key, data)
    return definitions.Definition.model_validate(row)


@router.delete(
    "/attribute-definitions/{key}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a definition (not values)"
)
async def delete_attribute_definition(key: str, session: Session, subject: Subject) -> Response:
    await definitions.delete_definition(session, require(subject, "contacts.write"), key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{contact_id}", response_model=schemas.Contact, summary="One contact with identities and attributes")
async def get_contact(contact_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Contact:
    contact = await service.get_contact(session, require(subject, "contacts.read"), contact_id)
    return (await service.to_schema(session, [contact]))[0]


@router.patch("/{contact_id}", response_model=schemas.Contact, summary="Change a contact's details")
async def update_contact(
    contact_id: uuid.UUID, data: schemas.ContactUpdate, session: Session, subject: Subject
) -> schemas.Contact:
    contact = await service.update_contact(session, require(subject, "contacts.write"), subject, contact_id, data)
    return (await service.to_schema(session, [contact]))[0]


@router.get(
    "/{contact_id}/conversations",
    response_model=Page[schemas.ContactConversation],
    summary="The contact's conversations in every inbox, newest first",
)
async def list_contact_conversations(
    contact_id: uuid.UUID, session: Session, subject: Subject, paging: Paging
) -> Page[schemas.ContactConversation]:
    require(subject, "conversations.read")
    rows, total = await service.contact_conversations(
        session, require(subject, "contacts.read"), contact_id, paging=paging
    )
    return page_of([schemas.ContactConversation.model_validate(r) for r in rows], total, paging)


@router.get("/{contact_id}/attributes", response_model=list[schemas.Attribute], summary="The contact's attributes")
async def list_contact_attributes(contact_id: uuid.UUID, session: Session, subject: Subject) -> list[schemas.Attribute]:
    rows = await service.list_attributes(session, require(subject, "contacts.read"), contact_id)
    return [service.attribute_schema(r) for r in rows]


@router.patch(
    "/{contact_id}/attributes",
    response_model=list[schemas.Attribute],
    summary="Set several attributes at once; null removes one",
)
async def patch_contact_attributes(
    contact_id: uuid.UUID,
    session: Session,
    subject: Subject,
    changes: Annotated[
        schemas.AttributesPatch,
        Body(
            description='`{"plan": {"value": "gold"}, "visits": {"type": "number", "value": 3}, "old_key": null}`',
            examples=[{"plan": {"value": "gold"}, "visits": {"type": "number", "value": 3}, "trial": None}],
        ),
    ],
) -> list[schemas.Attribute]:
    rows = await service.change_attributes(session, require(subject, "contacts.write"), subject, contact_id, changes)
    return [service.attribute_schema(r) for r in rows]


@router.get("/{contact_id}/attributes/{key}", response_model=schemas.Attribute, summary="One attribute")
async def get_contact_attribute(
    contact_id: uuid.UUID, key: str, session: Session, subject: Subject
) -> schemas.Attribute:
    row = await service.get_attribute(session, require(subject, "contacts.read"), contact_id, key)
    return service.attribute_schema(row)


@router.put(
    "/{contact_id}/attributes/{key}",
    response_model=schemas.Attribute,
    summary="Set one attribute; the type is inferred from the value when left out",
)
async def put_contact_attribute(
    contact_id: uuid.UUID, key: str, data: schemas.AttributeValue, session: Session, subject: Subject
) -> schemas.Attribute:
    row = await service.put_attribute(session, require(subject, "contacts.write"), subject, contact_id, key, data)
    return service.attribute_schema(row)


@router.delete("/{contact_id}/attributes/{key}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove an attribute")
async def delete_contact_attribute(contact_id: uuid.UUID, key: str, session: Session, subject: Subject) -> Response:
    await service.remove_attribute(session, require(subject, "contacts.write"), subject, contact_id, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
