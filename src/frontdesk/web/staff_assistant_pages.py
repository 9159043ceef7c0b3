"""The staff assistant panel: ask, and read the answer with its tables and charts.

It works without JavaScript (the form posts and the answer is rendered on the server);
``static/js/staff-assistant.js`` keeps a running exchange on the page instead of reloading.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from markupsafe import Markup

from frontdesk.assistant import staff
from frontdesk.assistant.staff_schemas import StaffAnswer
from frontdesk.kit.errors import FrontdeskError
from frontdesk.web import forms
from frontdesk.web.dependencies import PageRoute, UserPage
from frontdesk.web.settings import sections_for

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PATH = "/app/staff-assistant"


def _svg(block: dict[str, object]) -> Markup:
    # Drawn by charts.render, which escapes every piece of text it puts in.
    return Markup(str(block.get("svg", "")))  # noqa: S704


def _render(page: UserPage, *, question: str = "", answer: StaffAnswer | None = None, error: str = "") -> Response:
    return page.render(
        "staff/assistant.html",
        sections=sections_for(page),
        current=PATH,
        persona=staff.persona_info(page.actor),
        question=question,
        answer=answer,
        error=error,
        svg=_svg,
        status_code=422 if error else 200,
    )


@router.get(PATH)
async def staff_assistant_page(page: UserPage) -> Response:
    return _render(page)


@router.post(PATH)
async def staff_assistant_ask(page: UserPage) -> Response:
    question = forms.text(await page.form(), "question", limit=2000)
    if not question:
        return _render(page, error="Write a question first.")
    try:
        answer = await staff.ask(page.session, page.actor, question)
    except FrontdeskError as exc:
        return _render(page, question=question, error=exc.message)
    return _render(page, question=question, answer=answer)
