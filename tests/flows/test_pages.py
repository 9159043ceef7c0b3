"""The flow pages in a browser's shoes: create from a template, the editor, an execution's inspector."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.flows.helpers import eventually
from tests.web.conftest import WebClient


async def test_create_edit_and_inspect_through_the_pages(app: Any) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        browser = WebClient(http)
        await browser.register(org="Pages Co")
        listing = await browser.get("/app/flows")
        assert listing.status_code == 200 and "NPS survey" in listing.text
        bad = await browser.post("/app/flows", {"name": ""})
        assert bad.status_code == 422 and "Give the flow a name" in bad.text
        made = await browser.post("/app/flows", {"name": "Our NPS", "template": "nps_survey"})
        assert made.status_code == 303
        flow_url = made.headers["location"]
        flow_id = flow_url.rsplit("/", 1)[1]
        editor = await browser.get(flow_url)
        assert editor.status_code == 200
        assert 'id="flow-canvas"' in editor.text and "flow-editor.js" in editor.text and "Analytics" in editor.text

        # The editor's own calls: the JSON API with the session cookie and the CSRF header.
        headers = {"X-CSRF-Token": http.cookies.get("fd_csrf") or ""}
        pub = await http.post(f"/api/v1/flows/{flow_id}/publish", json={}, headers=headers)
        assert pub.status_code == 201, pub.text
        run = await http.post(f"/api/v1/flows/{flow_id}/test-runs", json={}, headers=headers)
        assert run.status_code == 201, run.text
        run_id = run.json()["id"]

        async def waiting() -> bool:
            r = await http.get(f"/api/v1/flow-executions/{run_id}")
            return r.json()["status"] == "waiting"

        await eventually(waiting)
        page = await browser.get(f"{flow_url}/executions/{run_id}")
        assert page.status_code == 200 and "How likely are you to recommend us" in page.text
        answered = await browser.post(f"{flow_url}/executions/{run_id}/input", {"text": "10"})
        assert answered.status_code == 303

        async def completed() -> bool:
            r = await http.get(f"/api/v1/flow-executions/{run_id}")
            return r.json()["status"] == "completed"

        await eventually(completed)
        page = await browser.get(f"{flow_url}/executions/{run_id}")
        assert "glad you" in page.text and re.search(r"<td>promoter", page.text)
        refused = await browser.post(f"{flow_url}/executions/{run_id}/cancel")
        assert refused.status_code == 409 and "cannot be cancelled" in page.text + refused.text
        editor = await browser.get(flow_url)
        assert "Version 1" in editor.text
