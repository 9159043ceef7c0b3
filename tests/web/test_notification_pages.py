"""The notifications page and preferences, as a person in a browser without JavaScript uses them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from tests.web.conftest import WebClient, join_as

Web = Callable[[], Awaitable[WebClient]]


def _ids(html: str) -> list[str]:
    return re.findall(r'data-notification-id="([0-9a-f-]{36})"', html)


async def test_list_filter_tick_and_act(web: Web, owner_web: WebClient) -> None:
    agent, _ = await join_as(web, owner_web, "agent")
    for title in ("Quarterly review on Friday", "Parking is closed"):
        r = await owner_web.http.post(
            "/api/v1/notifications/announcements",
            json={"title": title},
            headers={"X-CSRF-Token": owner_web.http.cookies.get("fd_csrf") or ""},
        )
        assert r.status_code == 201, r.text

    page = await agent.get("/app/notifications")
    assert page.status_code == 200
    assert "Quarterly review on Friday" in page.text and "Parking is closed" in page.text
    assert "data-notification-bell" in page.text  # the bell is in the header of every app page
    ids = _ids(page.text)
    assert len(ids) >= 2

    r = await agent.post("/app/notifications", {"action": "read", "ids": ids[0], "back": "/app/notifications"})
    assert r.status_code == 303
    unread = await agent.get("/app/notifications?show=unread")
    assert ids[0] not in _ids(unread.text) and ids[1] in _ids(unread.text)
    read = await agent.get("/app/notifications?show=read&kind=announcement")
    assert _ids(read.text) == [ids[0]]

    r = await agent.post("/app/notifications", {"action": "delete", "ids": ids[1]})
    assert r.status_code == 303
    assert ids[1] not in _ids((await agent.get("/app/notifications")).text)
    r = await agent.post("/app/notifications", {"action": "read-all"})
    assert r.status_code == 303
    assert "You are all caught up" in (await agent.get("/app/notifications")).text

    # Nothing ticked: told so, nothing changes.
    r = await agent.post("/app/notifications", {"action": "delete"})
    assert r.status_code == 303
    assert "Tick one or more" in (await agent.get("/app/notifications")).text


async def test_preferences_page_saves_choices(web: Web, owner_web: WebClient) -> None:
    agent, _ = await join_as(web, owner_web, "agent")
    page = await agent.get("/app/notifications/preferences")
    assert page.status_code == 200
    assert "A conversation was assigned to me" in page.text and "(default)" in page.text
    form = {"mention.email": "digest", "mention.in_app": "1", "sound": "1", "digest_hour": "17"}
    r = await agent.post("/app/notifications/preferences", form)
    assert r.status_code == 303
    prefs = (await agent.http.get("/api/v1/notifications/preferences")).json()
    kinds = {k["kind"]: k for k in prefs["kinds"]}
    assert prefs["sound"] is True and prefs["digest_hour"] == 17
    assert kinds["mention"]["email"] == "digest" and kinds["mention"]["in_app"] is True
    assert kinds["mention"]["browser"] is False  # unticked boxes are off
    assert kinds["conversation_assigned"]["in_app"] is False and kinds["conversation_assigned"]["customised"]
    r = await agent.post("/app/notifications/preferences", {"mention.email": "hourly"})
    assert r.status_code == 422
