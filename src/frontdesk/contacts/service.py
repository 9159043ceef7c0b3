"""Contacts: the people on the other side, found by channel identity, with typed attributes."""

from __future__ import annotations

import math
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
from frontdesk.flows import events as flows_events
from frontdesk.kit.errors import NotFound, ValidationFailed
from frontdesk.kit.events import org_topic, publish_on_commit
from frontdesk.kit.pagination import PageParams, paginate

MAX_ATTRIBUTES_PER_CALL = 100


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
        await repository.delete_contact(session, contact)
        winner = await repository.by_identity(session, organization_id, channel, external_id)
        assert winner is not None
        return winner, False
    publish_on_commit(session, org_topic(organization_id), {"type": "contact.created", "contact_id": str(contact.id)})
    await _contact_webhook(session, contact, "contact.created", {})
    await flows_events.fire(session, organization_id, "new_contact", contact_id=contact.id, data={"channel": channel})
    return contact, True


async def _contact_webhook(session: AsyncSession, contact: Contact, event: str, extra: dict[str, Any]) -> None:
    """Emit ``event`` with the contact as it stands now, so receivers need no call back to read it."""
    from frontdesk.webhooks.service import emit

    await session.flush()
    (snapshot,) = await to_schema(session, [contact])
    emit(
        session,
        contact.organization_id,
        event,
        {"contact_id": str(contact.id), **extra, "contact": snapshot.model_dump(mode="json")},
    )


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
    if len(data.attributes) > MAX_ATTRIBUTES_PER_CALL:
        raise ValidationFailed(f"At most {MAX_ATTRIBUTES_PER_CALL} attributes per call.", code="too_many_attributes")
    for key, item in data.attributes.items():
        await set_attribute(session, scope, contact.id, key, item.value, type_=item.type)
    record(
        session,
        "contact.created",
        organization_id=contact.organization_id,
        subject=subject,
        target_type="contact",
        target_id=contact.id,
    )
    publish_on_commit(
        session, org_topic(scope.organization_id), {"type": "contact.created", "contact_id": str(contact.id)}
    )
    await _contact_webhook(session, contact, "contact.created", {})
    await flows_events.fire(
        session, contact.organization_id, "new_contact", contact_id=contact.id, data={"channel": "api"}
    )
    return contact


async def update_contact(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, contact_id: uuid.UUID, data: schemas.ContactUpdate
) -> Contact:
    contact = await get_contact(session, scope, contact_id)
    changed = {}
    for field, value in data.model_dump(exclude_unset=True).items():
        if field in ("name", "description"):
            # These columns are never null: null clears them, as it clears email and phone.
            value = (value or "").strip() if field == "name" else (value or "")
        if getattr(contact, field) != value:
            changed[field] = value
            setattr(contact, field, value)
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
        await _contact_webhook(session, contact, "contact.updated", {"fields": sorted(changed)})
    return contact


async def set_attribute(
    session: AsyncSession, scope: OrgScope, contact_id: uuid.UUID, key: str, value: Any, *, type_: str | None = None
) -> ContactAttribute:
    contact = await get_contact(session, scope, contact_id)
    attrs.check_key(key)
    type_ = await _defined_type(session, contact.organization_id, key, type_)
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


async def _defined_type(session: AsyncSession, organization_id: uuid.UUID, key: str, type_: str | None) -> str | None:
    """A defined key's type wins over inference; asking for another type is refused."""
    from frontdesk.contacts.definitions import type_of

    defined = await type_of(session, organization_id, key)
    if defined is not None and type_ is not None and type_ != defined:
        raise ValidationFailed(
            f"Attribute {key!r} is defined as {defined}, not {type_}.",
            code="invalid_attribute_value",
            details={"key": key, "type": defined},
        )
    return defined or type_


async def delete_attribute(session: AsyncSession, scope: OrgScope, contact_id: uuid.UUID, key: str) -> None:
    contact = await get_contact(session, scope, contact_id)
    row = await repository.attribute(session, contact.id, key)
    if row is None:
        raise NotFound(f"The contact has no attribute {key!r}.", code="attribute_not_found")
    await repository.delete_attribute(session, row)


MAX_FILTERS = 20


def parse_filters(raw: list[str]) -> list[repository.AttributeFilter]:
    """``key:op:value`` strings (``plan:eq:gold``, ``visits:gt:3``, ``vip:exists``) into typed filters.

    The value's type is not written in the filter, so each filter carries every reading of it that
    could match: ``eq:3`` matches the number 3 and the text "3"; ordering operators take the most
    specific reading (number, then ISO date, then text); ``contains`` always searches text, ignoring case.
    """
    if len(raw) > MAX_FILTERS:
        raise ValidationFailed(f"At most {MAX_FILTERS} attribute filters at once.", code="invalid_filter")
    out: list[repository.AttributeFilter] = []
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
            out.append((key, op, []))
            continue
        if len(parts) < 3 or parts[2] == "":
            raise ValidationFailed(f"Filter {item!r} needs a value.", code="invalid_filter")
        value = parts[2]
        if op == "contains":
            out.append((key, op, [("value_text", value)]))
            continue
        number, day = _as_number(value), _as_date(value)
        readings: list[tuple[str, Any]] = []
        if op in ("gt", "gte", "lt", "lte"):
            if number is not None:
                readings.append(("value_number", number))
            elif day is not None:
                readings.append(("value_date", day))
            else:
                readings.append(("value_text", value))
        else:
            if number is not None:
                readings.append(("value_number", number))
            if day is not None:
                readings.append(("value_date", day))
            if value.lower() in ("true", "false"):
                readings.append(("value_bool", value.lower() == "true"))
            readings.append(("value_text", value))
        out.append((key, op, readings))
    return out


def _as_number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _as_date(value: str) -> date | None:
    if len(value) != 10:
        return None  # only YYYY-MM-DD; fromisoformat also takes week dates, which nobody means here
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


# ---------------------------------------------------------------- what the HTTP API calls


async def list_contacts(
    session: AsyncSession, scope: OrgScope, *, q: str | None, attr: list[str], paging: PageParams
) -> tuple[list[Contact], int]:
    if "\x00" in (q or "") or any("\x00" in a for a in attr):
        # PostgreSQL text cannot hold NUL, so nothing could match; say so rather than fail.
        raise ValidationFailed("Search terms cannot contain NUL characters.", code="invalid_filter")
    stmt = repository.search(scope.ids, q=q, attribute_filters=parse_filters(attr))
    return await paginate(session, stmt, paging)


async def contact_conversations(
    session: AsyncSession, scope: OrgScope, contact_id: uuid.UUID, *, paging: PageParams
) -> tuple[list[Any], int]:
    contact = await get_contact(session, scope, contact_id)
    return await paginate(session, repository.conversations_of(scope.ids, contact.id), paging)


def attribute_schema(row: ContactAttribute) -> schemas.Attribute:
    return schemas.Attribute(key=row.key, type=row.type, value=attrs.value_of(row), updated_at=row.updated_at)


async def list_attributes(session: AsyncSession, scope: OrgScope, contact_id: uuid.UUID) -> list[ContactAttribute]:
    contact = await get_contact(session, scope, contact_id)
    return (await repository.attributes(session, [contact.id]))[contact.id]


async def get_attribute(session: AsyncSession, scope: OrgScope, contact_id: uuid.UUID, key: str) -> ContactAttribute:
    contact = await get_contact(session, scope, contact_id)
    row = await repository.attribute(session, contact.id, attrs.check_key(key))
    if row is None:
        raise NotFound(f"The contact has no attribute {key!r}.", code="attribute_not_found")
    return row


async def change_attributes(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    contact_id: uuid.UUID,
    changes: dict[str, schemas.AttributeValue | None],
) -> list[ContactAttribute]:
    """Set (or, for ``None``, remove) several attributes at once; all or nothing.

    Returns every attribute of the contact afterwards. Removing a key the contact lacks is not an error,
    so a patch can be retried.
    """
    contact = await get_contact(session, scope, contact_id)
    if len(changes) > MAX_ATTRIBUTES_PER_CALL:
        raise ValidationFailed(f"At most {MAX_ATTRIBUTES_PER_CALL} attributes per call.", code="too_many_attributes")
    for key in changes:
        attrs.check_key(key)
    set_keys, removed = [], []
    for key, item in changes.items():
        if item is None:
            row = await repository.attribute(session, contact.id, key)
            if row is not None:
                await repository.delete_attribute(session, row)
                removed.append(key)
        else:
            await set_attribute(session, scope, contact.id, key, item.value, type_=item.type)
            set_keys.append(key)
    await session.flush()
    if set_keys or removed:
        await _attributes_changed(session, subject, contact, set_keys=set_keys, removed=removed)
    return (await repository.attributes(session, [contact.id]))[contact.id]


async def put_attribute(
    session: AsyncSession,
    scope: OrgScope,
    subject: AuthSubject,
    contact_id: uuid.UUID,
    key: str,
    item: schemas.AttributeValue,
) -> ContactAttribute:
    contact = await get_contact(session, scope, contact_id)
    row = await set_attribute(session, scope, contact.id, key, item.value, type_=item.type)
    await session.flush()
    await _attributes_changed(session, subject, contact, set_keys=[key], removed=[])
    return row


async def remove_attribute(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, contact_id: uuid.UUID, key: str
) -> None:
    contact = await get_contact(session, scope, contact_id)
    attrs.check_key(key)
    await delete_attribute(session, scope, contact.id, key)
    await session.flush()
    await _attributes_changed(session, subject, contact, set_keys=[], removed=[key])


async def _attributes_changed(
    session: AsyncSession, subject: AuthSubject, contact: Contact, *, set_keys: list[str], removed: list[str]
) -> None:
    details = {"set": sorted(set_keys), "removed": sorted(removed)}
    record(
        session,
        "contact.attributes_changed",
        organization_id=contact.organization_id,
        subject=subject,
        target_type="contact",
        target_id=contact.id,
        details=details,
    )
    publish_on_commit(
        session,
        org_topic(contact.organization_id),
        {"type": "contact.updated", "contact_id": str(contact.id), "attributes": details},
    )
    await _contact_webhook(session, contact, "contact.updated", {"fields": ["attributes"], "attributes": details})
