"""Notifications: B never sees, marks or deletes A's, and B's announcements reach only B's members."""

from __future__ import annotations

import httpx

from tests.test_tenancy import Case, World, _create, _ok, seeder

CASES = [
    Case("GET", "/api/v1/notifications"),
    Case("GET", "/api/v1/notifications/unread-count"),
    Case("GET", "/api/v1/notifications/summary"),
    Case("POST", "/api/v1/notifications/read-all"),
    Case("POST", "/api/v1/notifications/bulk", body=lambda w: {"action": "delete", "ids": [w.ids["notification"]]}),
    Case("GET", "/api/v1/notifications/preferences"),
    Case(
        "PUT",
        "/api/v1/notifications/preferences",
        body=lambda w: {"kinds": [{"kind": "announcement", "in_app": False, "email": "off", "browser": False}]},
    ),
    Case("POST", "/api/v1/notifications/announcements", body=lambda w: {"title": "Beta says hello"}),
    Case("POST", "/api/v1/notifications/{notification_id}/read"),
    Case("DELETE", "/api/v1/notifications/{notification_id}"),
    Case("GET", "/app/notifications", kind="page"),
    Case("POST", "/app/notifications", kind="form", body=lambda w: {"action": "delete", "ids": w.ids["notification"]}),
    Case("GET", "/app/notifications/preferences", kind="page"),
    Case(
        "POST",
        "/app/notifications/preferences",
        kind="form",
        body=lambda w: {"announcement.in_app": "", "announcement.email": "off"},
    ),
]

PARAMS = {"notification_id": lambda w: w.ids["notification"]}


@seeder("POST", "/api/v1/notifications/announcements")
async def seed_notification(client: httpx.AsyncClient, w: World) -> None:
    title = f"Alpha announcement {w.tag}"
    await _create(client, "/api/v1/notifications/announcements", w.a.headers, {"title": title, "body": "internal"})
    mine = await _ok(await client.get("/api/v1/notifications", headers=w.a_member.headers))
    notification = next(n for n in mine["items"] if n["title"] == title)
    w.ids["notification"] = notification["id"]
    w.keep(notification["id"], title)
    w.intact.append(("/api/v1/notifications?kind=announcement", title))
