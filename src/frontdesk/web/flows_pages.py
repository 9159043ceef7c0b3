from fastapi import APIRouter

from frontdesk.web.dependencies import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
