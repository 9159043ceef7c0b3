"""The copilot quality review: every draft the assistant wrote and what people did with it."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from frontdesk.assistant import copilot
from frontdesk.authz.service import require
from frontdesk.kit.pagination import PageParams
from frontdesk.web.dependencies import PageRoute, UserPage
from frontdesk.web.settings import sections_for

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PATH = "/app/copilot/review"
FATES = {
    "": "Every draft",
    "pending": "Waiting for a person",
    "sent": "Sent",
    "rejected": "Rejected",
    "superseded": "Superseded",
}


@router.get(PATH)
async def copilot_review_page(request: Request, page: UserPage) -> Response:
    scope = require(page.actor, "conversations.read")
    q = request.query_params
    status = q.get("status", "") if q.get("status", "") in FATES else ""
    edited_raw = q.get("edited", "")
    edited = {"yes": True, "no": False}.get(edited_raw)
    try:
        number = max(1, min(10_000, int(q.get("page", "1"))))
    except ValueError:
        number = 1
    listing = await copilot.review(
        page.session,
        scope,
        statuses=[status] if status else [],
        edited=edited,
        paging=PageParams(page=number, per_page=25),
    )
    stats = await copilot.review_stats(page.session, scope)

    def link(n: int) -> str:
        return (
            PATH + "?" + urlencode({k: v for k, v in {"status": status, "edited": edited_raw, "page": n}.items() if v})
        )

    pager = {
        "page": listing.page,
        "pages": listing.pages,
        "prev": link(listing.page - 1) if listing.page > 1 else None,
        "next": link(listing.page + 1) if listing.page < listing.pages else None,
    }
    return page.render(
        "playground/copilot_review.html",
        sections=sections_for(page),
        current=PATH,
        drafts=listing.items,
        total=listing.total,
        stats=stats,
        fates=FATES,
        status=status,
        edited=edited_raw,
        pager=pager,
    )
