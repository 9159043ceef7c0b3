"""Webhook subscriptions and real deliveries to a real receiver on loopback."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from frontdesk.kit.clock import FrozenClock
from frontdesk.kit.db import transaction
from frontdesk.kit.jobs import RUNNING, Job
from frontdesk.kit.runtime import Runtime
from frontdesk.webhooks.models import WebhookSubscription
from frontdesk.webhooks.service import MAX_ATTEMPTS
from tests.conftest import Account, join
from tests.webhooks.conftest import Receiver, docs_verifier, eventually

BASE = "/api/v1/webhooks"
ALLOW_LOOPBACK = {"allow_private_network_targets": True}


async def create(client: httpx.AsyncClient, headers: dict[str, str], url: str, events: list[str]) -> dict[str, Any]:
    r = await client.post(BASE, headers=headers, json={"url": url, "events": events, "description": "CRM"})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def deliveries(client: httpx.AsyncClient, headers: dict[str, str], hook: dict[str, Any]) -> list[dict[str, Any]]:
    r = await client.get(f"{BASE}/{hook['id']}/deliveries", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


class TestWithLoopbackAllowed:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return ALLOW_LOOPBACK

    async def test_manage_subscriptions(self, client: httpx.AsyncClient, owner: Account, receiver: Receiver) -> None:
        h = owner.headers
        events = (await client.get(f"{BASE}/events", headers=h)).json()["events"]
        assert "contact.created" in events and "webhook.test" not in events

        hook = await create(client, h, receiver.url("/hook"), ["contact.updated", "contact.created", "contact.created"])
        assert hook["events"] == ["contact.created", "contact.updated"] and hook["active"] is True
        assert hook["secret"].startswith("whsec_")
        for shown in (
            (await client.get(BASE, headers=h)).text,
            (await client.get(f"{BASE}/{hook['id']}", headers=h)).text,
        ):
            assert hook["secret"] not in shown and '"secret"' not in shown

        for body, code in [
            ({"url": receiver.url("/x"), "events": ["contact.deleted"]}, "invalid_events"),
            ({"url": receiver.url("/x"), "events": []}, "validation_error"),
            ({"url": "ftp://127.0.0.1/x", "events": ["contact.created"]}, "blocked_target"),
            ({"url": "not a url", "events": ["contact.created"]}, "blocked_target"),
            ({"url": "http://127.0.0.1:99999/x", "events": ["contact.created"]}, "invalid_url"),
            ({"url": "http://user:pw@127.0.0.1/x", "events": ["contact.created"]}, "invalid_url"),
            ({"url": "http://[::1/x", "events": ["contact.created"]}, "invalid_url"),
        ]:
            r = await client.post(BASE, headers=h, json=body)
            assert r.status_code == 422, (body, r.text)
            assert r.json()["code"] == code, (body, r.text)

        r = await client.patch(
            f"{BASE}/{hook['id']}", headers=h, json={"events": ["message.created"], "active": False, "description": "x"}
        )
        assert r.status_code == 200, r.text
        assert (r.json()["events"], r.json()["active"], r.json()["description"]) == (["message.created"], False, "x")
        r = await client.patch(f"{BASE}/{hook['id']}", headers=h, json={"url": "gopher://127.0.0.1/"})
        assert r.status_code == 422
        r = await client.patch(f"{BASE}/{hook['id']}", headers=h, json={"events": None})
        assert r.status_code == 422

        # Only owners and admins (and keys given the permission) manage webhooks.
        agent = await join(client, owner, "agent")
        assert (await client.get(BASE, headers=agent.headers)).status_code == 403
        assert (await client.post(f"{BASE}/{hook['id']}/test", headers=agent.headers)).status_code == 403

        assert (await client.delete(f"{BASE}/{hook['id']}", headers=h)).status_code == 204
        assert (await client.get(f"{BASE}/{hook['id']}", headers=h)).status_code == 404
        actions = {e["action"] for e in (await client.get("/api/v1/audit-events", headers=h)).json()["items"]}
        assert {"webhook.created", "webhook.updated", "webhook.deleted"} <= actions

    async def test_contact_events_are_delivered_signed(
        self, client: httpx.AsyncClient, owner: Account, other_owner: Account, receiver: Receiver
    ) -> None:
        verify = docs_verifier()
        h = owner.headers
        hook = await create(client, h, receiver.url("/contacts"), ["contact.created", "contact.updated"])
        other = await create(client, h, receiver.url("/messages"), ["message.created"])

        r = await client.post(
            "/api/v1/contacts", headers=h, json={"name": "Ada", "attributes": {"plan": {"value": "gold"}}}
        )
        contact = r.json()
        await client.patch(f"/api/v1/contacts/{contact['id']}", headers=h, json={"email": "ada@example.com"})
        await client.put(f"/api/v1/contacts/{contact['id']}/attributes/visits", headers=h, json={"value": 3})
        # Another organization's contacts never reach this webhook.
        await client.post("/api/v1/contacts", headers=other_owner.headers, json={"name": "Not yours"})

        async def three() -> bool:
            return len(receiver.at("/contacts")) >= 3

        await eventually(three)
        # Deliveries run concurrently, so arrival order is not event order; created_at is.
        got = sorted(receiver.at("/contacts"), key=lambda r: json.loads(r.body)["created_at"])
        bodies = [json.loads(r.body) for r in got]
        assert [b["event"] for b in bodies] == ["contact.created", "contact.updated", "contact.updated"]
        for req, body in zip(got, bodies, strict=True):
            assert verify(
                hook["secret"],
                {
                    "X-Frontdesk-Timestamp": req.headers["x-frontdesk-timestamp"],
                    "X-Frontdesk-Signature": req.headers["x-frontdesk-signature"],
                },
                req.body,
            )
            assert not verify(
                "whsec_wrong",
                {
                    "X-Frontdesk-Timestamp": req.headers["x-frontdesk-timestamp"],
                    "X-Frontdesk-Signature": req.headers["x-frontdesk-signature"],
                },
                req.body,
            )
            assert req.headers["x-frontdesk-event"] == body["event"]
            assert req.headers["x-frontdesk-delivery"] == body["id"]
            assert req.headers["content-type"] == "application/json"
            assert body["organization_id"] == owner.organization_id
            assert body["data"]["contact_id"] == contact["id"]
        assert bodies[0]["data"]["contact"]["attributes"] == {"plan": "gold"}
        assert bodies[1]["data"]["fields"] == ["email"] and bodies[1]["data"]["contact"]["email"] == "ada@example.com"
        assert bodies[2]["data"]["attributes"] == {"set": ["visits"], "removed": []}
        assert "Not yours" not in str(bodies)
        assert receiver.at("/messages") == []

        log = await deliveries(client, h, hook)
        assert len(log) == 3 and {d["status"] for d in log} == {"delivered"}
        assert all(d["attempts"] == 1 and d["response_status"] == 200 and d["error"] is None for d in log)
        assert log[0]["payload"]["event"] == "contact.updated"  # newest first
        assert await deliveries(client, h, other) == []
        filtered = await client.get(f"{BASE}/{hook['id']}/deliveries", headers=h, params={"status": "failed"})
        assert filtered.json()["total"] == 0

        # After rotating, deliveries are signed with the new secret only.
        r = await client.post(f"{BASE}/{hook['id']}/rotate-secret", headers=h)
        new_secret = r.json()["secret"]
        r = await client.post(f"{BASE}/{hook['id']}/test", headers=h)
        assert r.status_code == 202 and r.json()["event"] == "webhook.test" and r.json()["status"] == "pending"

        async def four() -> bool:
            return len(receiver.at("/contacts")) >= 4

        await eventually(four)
        test = receiver.at("/contacts")[3]
        sig = {k: test.headers[k.lower()] for k in ("X-Frontdesk-Timestamp", "X-Frontdesk-Signature")}
        assert verify(new_secret, sig, test.body) and not verify(hook["secret"], sig, test.body)
        assert json.loads(test.body)["data"]["webhook_id"] == hook["id"]

        # A paused webhook gets no events, but a test still goes out.
        await client.patch(f"{BASE}/{hook['id']}", headers=h, json={"active": False})
        await client.patch(f"/api/v1/contacts/{contact['id']}", headers=h, json={"name": "Ada L."})
        await client.post(f"{BASE}/{hook['id']}/test", headers=h)

        async def five() -> bool:
            return len(receiver.at("/contacts")) >= 5

        await eventually(five)
        assert json.loads(receiver.at("/contacts")[4].body)["event"] == "webhook.test"

    async def test_not_found_fails_without_retry(
        self, client: httpx.AsyncClient, owner: Account, receiver: Receiver, runtime: Runtime
    ) -> None:
        hook = await create(client, owner.headers, receiver.script("/gone", 404), ["contact.created"])
        await client.post("/api/v1/contacts", headers=owner.headers, json={"name": "Ada"})

        async def failed() -> list[dict[str, Any]]:
            log = await deliveries(client, owner.headers, hook)
            return [d for d in log if d["status"] == "failed"]

        (delivery,) = await eventually(failed)
        assert (delivery["attempts"], delivery["response_status"]) == (1, 404)
        assert "404" in delivery["error"] and '"status":404' in delivery["response_body"]
        await runtime.sweeper.sweep_once()
        assert len(receiver.at("/gone")) == 1

    async def test_other_organizations_get_404(
        self, client: httpx.AsyncClient, owner: Account, other_owner: Account, receiver: Receiver
    ) -> None:
        hook = await create(client, owner.headers, receiver.url("/a"), ["contact.created"])
        url = f"{BASE}/{hook['id']}"
        for method, path, body in [
            ("GET", url, None),
            ("PATCH", url, {"active": False}),
            ("DELETE", url, None),
            ("POST", f"{url}/rotate-secret", None),
            ("POST", f"{url}/test", None),
            ("GET", f"{url}/deliveries", None),
        ]:
            r = await client.request(method, path, headers=other_owner.headers, json=body)
            assert r.status_code == 404, (method, path, r.text)
        assert (await client.get(BASE, headers=other_owner.headers)).json() == []
        assert (await client.get(url, headers=owner.headers)).json()["active"] is True
        assert receiver.received == []


class TestRetries:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return ALLOW_LOOPBACK

    @pytest.fixture
    def clock(self) -> FrozenClock:
        return FrozenClock()

    async def test_server_errors_are_retried_until_delivered_or_given_up(
        self, client: httpx.AsyncClient, owner: Account, receiver: Receiver, runtime: Runtime, clock: FrozenClock
    ) -> None:
        key = await client.post(
            "/api/v1/api-keys", headers=owner.headers, json={"name": "ops", "scopes": ["webhooks.manage"]}
        )
        h = {"X-API-Key": key.json()["key"]}  # the owner's access token would expire as the clock moves
        flaky = await create(client, h, receiver.script("/flaky", 500, 200), ["contact.created"])
        down = await create(client, h, receiver.script("/down", 503), ["contact.created"])
        verify = docs_verifier()

        await client.post(f"{BASE}/{flaky['id']}/test", headers=h)
        await client.post(f"{BASE}/{down['id']}/test", headers=h)

        async def attempted(hook: dict[str, Any], n: int) -> dict[str, Any] | None:
            (d,) = await deliveries(client, h, hook)
            return d if d["attempts"] >= n and d["status"] != "pending" else None

        first = await eventually(lambda: attempted(flaky, 1))
        assert (first["status"], first["response_status"]) == ("retrying", 500)
        # Nothing is due until the backoff (2 s after the first attempt) has passed.
        await runtime.sweeper.sweep_once()
        assert len(receiver.at("/flaky")) == 1

        async def after_backoff(hook: dict[str, Any], n: int, **step: float) -> dict[str, Any] | None:
            # Move time only while no delivery runs (a jump past a running job's lease would hand it to a
            # second runner), and on every such poll: the retry's due time is written only after the
            # failed run is recorded, which may be after the delivery row already shows the attempt.
            async with transaction(runtime.sessionmaker) as session:
                running = await session.scalar(select(func.count()).where(Job.status == RUNNING))
            if not running:
                clock.advance(**step)
                await runtime.sweeper.sweep_once()
            return await attempted(hook, n)

        second = await eventually(lambda: after_backoff(flaky, 2, seconds=3))
        assert (second["status"], second["response_status"], second["error"]) == ("delivered", 200, None)
        retried = receiver.at("/flaky")
        assert len(retried) == 2 and retried[0].body == retried[1].body
        assert [r.headers["x-frontdesk-attempt"] for r in retried] == ["1", "2"]
        last = retried[1]
        sig = {k: last.headers[k.lower()] for k in ("X-Frontdesk-Timestamp", "X-Frontdesk-Signature")}
        assert verify(flaky["secret"], sig, last.body, now=clock.now().timestamp())

        # A receiver that never recovers is given up on after the last attempt.
        for n in range(2, MAX_ATTEMPTS + 1):
            await eventually(lambda n=n: after_backoff(down, n, hours=1))
        (gave_up,) = await deliveries(client, h, down)
        assert (gave_up["status"], gave_up["attempts"], gave_up["response_status"]) == ("failed", MAX_ATTEMPTS, 503)
        clock.advance(hours=2)
        await runtime.sweeper.sweep_once()
        assert len(receiver.at("/down")) == MAX_ATTEMPTS


async def test_loopback_is_refused_when_not_allowed(
    client: httpx.AsyncClient, owner: Account, receiver: Receiver, runtime: Runtime
) -> None:
    for url in (receiver.url("/hook"), "http://localhost/hook", "http://10.0.0.1/hook", "http://[::1]/hook"):
        r = await client.post(BASE, headers=owner.headers, json={"url": url, "events": ["contact.created"]})
        assert r.status_code == 422, (url, r.text)
        assert r.json()["code"] == "blocked_target" and "private" in r.json()["message"]
    assert (await client.get(BASE, headers=owner.headers)).json() == []

    # A subscription whose host later resolves to loopback is refused at delivery too, and not retried.
    async with transaction(runtime.sessionmaker) as session:
        sub = WebhookSubscription(
            organization_id=uuid.UUID(owner.organization_id),
            url=receiver.url("/rebound"),
            events=["contact.created"],
            secret_encrypted=runtime.secrets.encrypt("whsec_x"),
            description="",
        )
        session.add(sub)
        await session.flush()
        hook = {"id": str(sub.id)}
    await client.post(f"{BASE}/{hook['id']}/test", headers=owner.headers)

    async def failed() -> list[dict[str, Any]]:
        return [d for d in await deliveries(client, owner.headers, hook) if d["status"] == "failed"]

    (delivery,) = await eventually(failed)
    assert delivery["attempts"] == 1 and delivery["response_status"] is None and "private" in delivery["error"]
    assert receiver.received == []
