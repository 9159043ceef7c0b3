"""Prometheus metrics move with the traffic and the jobs they describe."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from frontdesk.kit.clock import FrozenClock
from tests.conftest import Account
from tests.system.conftest import sample, scrape, until


async def test_requests_are_counted_and_timed_by_route_template(client: httpx.AsyncClient, owner: Account) -> None:
    before = await scrape(client)
    for _ in range(3):
        assert (await client.get("/api/v1/me", headers=owner.headers)).status_code == 200
    # Two different ids land in one series: the label is the route template, not the path.
    for _ in range(2):
        r = await client.delete(f"/api/v1/api-keys/{uuid.uuid4()}", headers=owner.headers)
        assert r.status_code == 404
    assert (await client.get("/no/such/page")).status_code == 404
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    me = {"method": "GET", "route": "/api/v1/me"}
    assert delta("frontdesk_http_requests_total", **me, status="200") == 3
    assert delta("frontdesk_http_request_seconds_count", **me) == 3
    assert delta("frontdesk_http_request_seconds_sum", **me) > 0
    assert delta("frontdesk_http_request_seconds_bucket", **me, le="+Inf") == 3
    keys = {"method": "DELETE", "route": "/api/v1/api-keys/{key_id}"}
    assert delta("frontdesk_http_requests_total", **keys, status="404") == 2
    # Unknown paths share one series, so scanners cannot blow up the label cardinality.
    assert delta("frontdesk_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert not any("/no/such/page" in dict(labels).values() for _name, labels in after)


async def test_finished_jobs_are_counted_with_their_lag(client: httpx.AsyncClient, owner: Account) -> None:
    before = await scrape(client)
    # A password reset queues one mail job, which the embedded worker runs.
    r = await client.post("/api/v1/auth/password-reset", json={"email": owner.email})
    assert r.status_code == 202

    async def done() -> bool:
        now = await scrape(client)
        return sample(now, "frontdesk_jobs_total", kind="mail.send", state="done") > sample(
            before, "frontdesk_jobs_total", kind="mail.send", state="done"
        )

    await until(done)
    after = await scrape(client)
    lag = ("frontdesk_job_lag_seconds_count", {"kind": "mail.send"})
    assert sample(after, lag[0], **lag[1]) - sample(before, lag[0], **lag[1]) == 1
    assert sample(after, "frontdesk_job_lag_seconds_sum", kind="mail.send") >= 0
    assert sample(after, "frontdesk_jobs_waiting", status="done") >= 1
    # Nothing due is left waiting (recurring jobs booked for later may be pending).
    assert sample(after, "frontdesk_jobs_due_lag_seconds") == 0


class TestBacklog:
    """With no worker running, due jobs wait, and the gauges say how many and for how long."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"run_sweeper": False}

    @pytest.fixture
    def clock(self) -> FrozenClock:
        return FrozenClock()

    async def test_waiting_jobs_and_their_age(
        self, client: httpx.AsyncClient, owner: Account, clock: FrozenClock
    ) -> None:
        idle = await scrape(client)
        assert sample(idle, "frontdesk_jobs_due_lag_seconds") == 0
        pending_before = sample(idle, "frontdesk_jobs_waiting", status="pending")
        assert (await client.post("/api/v1/auth/password-reset", json={"email": owner.email})).status_code == 202
        clock.advance(seconds=90)
        after = await scrape(client)
        assert sample(after, "frontdesk_jobs_waiting", status="pending") == pending_before + 1
        assert sample(after, "frontdesk_jobs_due_lag_seconds") >= 90
