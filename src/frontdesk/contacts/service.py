"""Contacts: the people on the other side, found by channel identity, with typed attributes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.audit.service import record
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.contacts import attributes as attrs
from frontdesk.contacts import repository, schemas
from frontdesk.contacts.models import Contact, ContactAttribute, ContactIdentity
from frontdesk.kit.errors import NotFound, ValidationFailed
from frontdesk.kit.events import org_topic, publish_on_commit


def _now(session: AsyncSession) -> Any:
    return session.info["runtime"].clock.now()


async def find_or_create(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    channel: str,
    external_id: str,
    name: str = "",
    email: str | None = None,
    phone: str | None = None,
    verified: bool = False,
) -> tuple[Contact, bool]:
    """The contact a channel knows as ``external_id``; created (with the identity) on first sight."""
    found = await repository.by_identity(session, organization_id, channel, external_id)
    if found is not None:
        return found, False
    now = _now(session)
    contact = Contact(
        organization_id=organization_id, name=name, email=email, phone=phone, created_at=now, last_seen_at=now
    )
    session.add(contact)
    await session.flush()
    try:
        async with session.begin_nested():
            session.add(
                ContactIdentity(
                    organization_id=organization_id,
                    contact_id=contact.id,
                    channel=channel,
                    external_id=external_id,
                    verified=verified,
                    created_at=now,
                )
            )
    except IntegrityError:
        # Another request created the same identity a moment ago: use theirs.
        await session.delete(contact)
        winner = await repository.by_identity(session, organization_id, channel, external_id)
        assert winner is not None
        return winner, False
    publish_on_commit(session, org_topic(organization_id), {"type": "contact.created", "contact_id": str(contact.id)})
    _webhook(session, organization_id, "contact.created", {"contact_id": str(contact.id)})
    return contact, True


def _webhook(session: AsyncSession, organization_id: uuid.UUID, event: str, data: dict[str, Any]) -> None:
    from frontdesk.webhooks.service import emit

    emit(session, organization_id, event, data)


async def to_schema(session: AsyncSession, contacts: list[Contact]) -> list[schemas.Contact]:
    ids = [c.id for c in contacts]
    idents = await repository.identities(session, ids)
    values = await repository.attributes(session, ids)
    return [
        schemas.Contact(
            id=c.id,
            name=c.name,
            email=c.email,
            phone=c.phone,
            description=c.description,
            created_at=c.created_at,
            last_seen_at=c.last_seen_at,
            opted_out=c.opted_out_at is not None,
            identities=idents[c.id],
            attributes={a.key: attrs.value_of(a) for a in values[c.id]},
        )
        for c in contacts
    ]


async def get_contact(session: AsyncSession, scope: OrgScope, contact_id: uuid.UUID) -> Contact:
    contact = await repository.get(session, scope.ids, contact_id)
    if contact is None:
        raise NotFound("No such contact.")
    return contact


async def create_contact(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.ContactCreate
) -> Contact:
    contact = Contact(
        organization_id=scope.organization_id,
        name=data.name.strip(),
        email=data.email,
        phone=data.phone,
        description=data.description,
        created_at=_now(session),
    )
    session.add(contact)
    await session.flush()
    for key, item in data.attributes.items():
        await set_attribute(session, scope, contact.id, key, item.value, type_=item.type)
    publish_on_commit(
        session, org_topic(scope.organization_id), {"type": "contact.created", "contact_id": str(contact.id)}
    )
    _webhook(session, scope.organization_id, "contact.created", {"contact_id": str(contact.id)})
    return contact


async def update_contact(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, contact_id: uuid.UUID, data: schemas.ContactUpdate
) -> Contact:
    contact = await get_contact(session, scope, contact_id)
    changed = data.model_dump(exclude_unset=True)
    for field, value in changed.items():
        setattr(contact, field, value.strip() if isinstance(value, str) and field == "name" else value)
    if changed:
        record(
            session,
            "contact.updated",
            organization_id=contact.organization_id,
            subject=subject,
            target_type="contact",
            target_id=contact.id,
            details={"fields": sorted(changed)},
        )
        publish_on_commit(
            session, org_topic(contact.organization_id), {"type": "contact.updated", "contact_id": str(contact.id)}
        )
        _webhook(
            session,
            contact.organization_id,
            "contact.updated",
            {"contact_id": str(contact.id), "fields": sorted(changed)},
        )
    return contact


async def set_attribute(
    session: AsyncSession, scope: OrgScope, contact_id: uuid.UUID, key: str, value: Any, *, type_: str | None = None
) -> ContactAttribute:
    contact = await get_contact(session, scope, contact_id)
    attrs.check_key(key)
    kind, cols = attrs.coerce(key, type_, value)
    row = await repository.attribute(session, contact.id, key)
    now = _now(session)
    if row is None:
        row = ContactAttribute(
            organization_id=contact.organization_id, contact_id=contact.id, key=key, type=kind, created_at=now, **cols
        )
        session.add(row)
    else:
        row.type = kind
        for name, v in cols.items():
            setattr(row, name, v)
    row.updated_at = now
    return row


async def delete_attribute(session: AsyncSession, scope: OrgScope, contact_id: uuid.UUID, key: str) -> None:
    contact = await get_contact(session, scope, contact_id)
    row = await repository.attribute(session, contact.id, key)
    if row is None:
        raise NotFound(f"The contact has no attribute {key!r}.", code="attribute_not_found")
    await session.delete(row)


_COLUMN = {
    "string": "value_text",
    "number": "value_number",
    "boolean": "value_bool",
    "date": "value_date",
    "json": "value_json",
}


def parse_filters(raw: list[str]) -> list[tuple[str, str, str, Any]]:
    """``key:op:value`` strings (``plan:eq:gold``, ``visits:gt:3``, ``vip:exists``) into typed filters."""
    out = []
    for item in raw:
        parts = item.split(":", 2)
        if len(parts) < 2:
            raise ValidationFailed(f"Filter {item!r} must look like key:operator:value.", code="invalid_filter")
        key, op = attrs.check_key(parts[0]), parts[1]
        if op not in repository.OPERATORS:
            raise ValidationFailed(
                f"Unknown operator {op!r}; use one of {', '.join(repository.OPERATORS)}.", code="invalid_filter"
            )
        if op == "exists":
            out.append((key, op, "value_text", None))
            continue
        if len(parts) < 3:
            raise ValidationFailed(f"Filter {item!r} needs a value.", code="invalid_filter")
        value: Any = parts[2]
        column = "value_text"
        if op in ("gt", "gte", "lt", "lte") or _looks_numeric(value):
            try:
                value, column = float(value), "value_number"
            except ValueError:
                try:
                    value, column = date.fromisoformat(value), "value_date"
                except ValueError:
                    column = "value_text"
        elif value in ("true", "false"):
            value, column = value == "true", "value_bool"
        out.append((key, op, column, value))
    return out


def _looks_numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
