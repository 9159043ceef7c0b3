"""The playground page: simulate conversations against an assistant, keep test cases, run them.

The simulation itself is interactive (``static/js/playground.js`` over the JSON API); the page
renders the assistants, saved cases and recent runs on the server so it is useful at first paint.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from frontdesk.assistant import copilot_bridge, playground
from frontdesk.authz.service import require
from frontdesk.web.dependencies import PageRoute, UserPage
from frontdesk.web.settings import sections_for

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/app/playground")
async def playground_page(page: UserPage) -> Response:
    scope = require(page.actor, "assistants.manage")
    assistants = [
        a for a in await copilot_bridge.list_assistants(page.session, scope.organization_id) if not a.is_router
    ]
    cases = await playground.list_cases(page.session, scope)
    runs = await playground.list_runs(page.session, scope, limit=5)
    boot = {
        "assistants": [{"id": str(a.id), "name": a.name, "provider": a.provider} for a in assistants],
        "cases": [playground.to_case(c).model_dump(mode="json") for c in cases],
        "runs": [playground.to_run(r).model_dump(mode="json") for r in runs],
    }
    return page.render(
        "playground/playground.html",
        sections=sections_for(page),
        current="/app/playground",
        assistants=assistants,
        cases=cases,
        runs=runs,
        boot=boot,
    )
