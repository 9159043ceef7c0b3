"""Operators for the operator tests: real accounts whose flag is flipped the way the CLI sets it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from frontdesk.kit.db import transaction
from frontdesk.kit.runtime import Runtime
from frontdesk.orgs.models import Membership
from frontdesk.users.models import User
from tests.conftest import Account, sign_up


async def make_operator(runtime: Runtime, account: Account) -> Account:
    async with transaction(runtime.sessionmaker) as session:
        await session.execute(update(User).where(User.id == uuid.UUID(account.user_id)).values(is_operator=True))
    return account


async def add_member(client: httpx.AsyncClient, runtime: Runtime, org: Account, role: str) -> Account:
    """A second person in ``org`` with ``role`` (signed up on their own, then given a membership)."""
    person = await sign_up(client, org=f"{role} home")
    async with transaction(runtime.sessionmaker) as session:
        session.add(
            Membership(organization_id=uuid.UUID(org.organization_id), user_id=uuid.UUID(person.user_id), role=role)
        )
    person.organization_id = org.organization_id
    return person


def bearer(account: Account) -> dict[str, str]:
    """No X-Organization-Id: operator routes act on the installation, not on one organization."""
    return {"Authorization": f"Bearer {account.access_token}"}


async def wait_for(probe: Any, *, timeout: float = 10.0) -> Any:
    """Poll ``probe`` (an async callable) until it returns something truthy: jobs run in the background."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def operator(client: httpx.AsyncClient, runtime: Runtime) -> Account:
    return await make_operator(runtime, await sign_up(client, org="Operations", email="ops@example.com"))
