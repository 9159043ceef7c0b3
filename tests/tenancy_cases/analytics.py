"""Analytics: B's figures are B's; a re-run by B aggregates only B's activity."""

from __future__ import annotations

from tests.test_tenancy import Case

_DAYS = {"start": "2026-01-01", "end": "2026-01-07"}

CASES = [
    Case("GET", "/api/v1/analytics/overview"),
    Case("GET", "/api/v1/analytics/trends", query=lambda w: {"granularity": "day"}),
    Case("GET", "/api/v1/analytics/agents"),
    Case("GET", "/api/v1/analytics/inboxes"),
    Case("GET", "/api/v1/analytics/channels"),
    Case("GET", "/api/v1/analytics/assistants"),
    Case("GET", "/api/v1/analytics/flows"),
    Case("GET", "/api/v1/analytics/distribution"),
    Case("GET", "/api/v1/analytics/csat", query=lambda w: {"format": "csv"}),
    Case("POST", "/api/v1/analytics/aggregate", body=lambda w: dict(_DAYS)),
    Case("GET", "/app/analytics", kind="page"),
    Case("GET", "/app/analytics/{what}", kind="page"),
]

PARAMS = {"what": lambda w: "agents"}
