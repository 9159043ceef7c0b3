"""The ASGI application: one factory, used by ``frontdesk serve``, the tests and the benchmarks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from frontdesk.config import Settings
from frontdesk.kit.clock import Clock
from frontdesk.kit.errors import FrontdeskError, RateLimited
from frontdesk.kit.logging import configure_logging
from frontdesk.kit.middleware import RequestMiddleware
from frontdesk.kit.routing import index_routes
from frontdesk.kit.runtime import Runtime

log = structlog.get_logger("frontdesk.app")

STATIC_DIR = Path(__file__).parent / "web" / "static"

TAGS = [
    {"name": "auth", "description": "Registration, sign-in, tokens, passwords and the current user."},
    {"name": "authz", "description": "Roles and the permission matrix."},
    {"name": "organizations", "description": "The organization and its members."},
    {"name": "invitations", "description": "Inviting people into an organization."},
    {"name": "api-keys", "description": "Keys for server-to-server calls."},
    {"name": "audit", "description": "Who did what, when and from where."},
    {"name": "mail", "description": "The email outbox."},
    {"name": "operators", "description": "Installation operators: every organization, usage and health."},
    {"name": "inboxes", "description": "Inboxes (one per channel instance) and teams."},
    {"name": "contacts", "description": "Contacts and their typed attributes."},
    {"name": "conversations", "description": "The agent inbox: conversations, replies, notes, handoff."},
    {"name": "agents", "description": "Agent presence and working hours."},
    {"name": "webhooks", "description": "Outgoing webhook subscriptions and their deliveries."},
    {"name": "api-channel", "description": "Server-to-server conversations through an API inbox."},
    {"name": "widget", "description": "The website widget's public API and socket."},
    {"name": "realtime", "description": "WebSocket events, with REST catch-up by cursor."},
    {"name": "assistants", "description": "Assistants, their instruction layers and versions."},
    {"name": "knowledge", "description": "Knowledge collections and articles: search, import, export."},
    {"name": "ai providers", "description": "LLM providers, keys, fallback order, budgets and usage."},
    {"name": "copilot", "description": "AI drafts for agents, suggestions, summaries and files."},
    {"name": "playground", "description": "Simulated conversations with assistants and saved test cases."},
    {"name": "staff-assistant", "description": "The internal assistant for signed-in staff."},
    {"name": "whatsapp", "description": "WhatsApp Cloud API numbers, webhooks, templates and sending."},
    {"name": "flows", "description": "Bot flows, versions, executions, templates and triggers."},
    {"name": "leads", "description": "Leads, the pipeline, follow-ups, exports, reports and transcripts."},
    {"name": "meetings", "description": "Availability, meeting types, bookings and calendar connections."},
    {"name": "meetings (public)", "description": "Public booking: slots, booking, rescheduling, cancelling."},
    {"name": "analytics", "description": "Aggregated figures: overview, trends, breakdowns, CSAT."},
    {"name": "notifications", "description": "My notifications, their preferences, and announcements."},
    {"name": "system", "description": "Health, readiness and metrics."},
]


def _routers() -> list[Any]:
    # Imported here so that importing the app module stays cheap for the CLI.
    from frontdesk.agents.endpoints import router as agents
    from frontdesk.analytics.endpoints import router as analytics
    from frontdesk.apikeys.endpoints import router as apikeys
    from frontdesk.assistant.copilot_endpoints import router as copilot
    from frontdesk.assistant.endpoints import router as assistant
    from frontdesk.assistant.files_endpoints import router as assistant_files
    from frontdesk.assistant.playground_endpoints import router as playground
    from frontdesk.assistant.provider_endpoints import router as ai_providers
    from frontdesk.assistant.staff_endpoints import router as staff_assistant
    from frontdesk.audit.endpoints import router as audit
    from frontdesk.auth.endpoints import router as auth
    from frontdesk.auth.oidc_endpoints import router as oidc
    from frontdesk.authz.endpoints import router as authz
    from frontdesk.channels.api.endpoints import router as api_channel
    from frontdesk.channels.web.endpoints import router as widget
    from frontdesk.channels.whatsapp.endpoints import router as whatsapp
    from frontdesk.contacts.endpoints import router as contacts
    from frontdesk.conversations.endpoints import router as conversations
    from frontdesk.flows.endpoints import router as flows
    from frontdesk.inboxes.endpoints import router as inboxes
    from frontdesk.invitations.endpoints import router as invitations
    from frontdesk.knowledge.endpoints import router as knowledge
    from frontdesk.leads.endpoints import router as leads
    from frontdesk.leads.transcript_endpoints import router as transcripts
    from frontdesk.mail.endpoints import router as mail
    from frontdesk.messages.endpoints import router as messages
    from frontdesk.notifications.endpoints import router as notifications
    from frontdesk.operators.endpoints import router as operators
    from frontdesk.orgs.endpoints import router as orgs
    from frontdesk.realtime.endpoints import router as realtime
    from frontdesk.scheduling.endpoints import router as scheduling
    from frontdesk.system.endpoints import router as system
    from frontdesk.web.ai_providers_pages import router as ai_providers_pages
    from frontdesk.web.analytics_pages import router as analytics_pages
    from frontdesk.web.assistants_pages import router as assistants_pages
    from frontdesk.web.copilot_pages import router as copilot_pages
    from frontdesk.web.flows_pages import router as flows_pages
    from frontdesk.web.inbox import router as inbox_pages
    from frontdesk.web.knowledge_pages import router as knowledge_pages
    from frontdesk.web.leads_pages import router as leads_pages
    from frontdesk.web.meetings_pages import router as meetings_pages
    from frontdesk.web.notifications_pages import router as notifications_pages
    from frontdesk.web.pages import router as pages
    from frontdesk.web.playground_pages import router as playground_pages
    from frontdesk.web.staff_assistant_pages import router as staff_assistant_pages
    from frontdesk.web.whatsapp_pages import router as whatsapp_pages
    from frontdesk.webhooks.endpoints import router as webhooks

    return [
        auth,
        oidc,
        authz,
        orgs,
        invitations,
        apikeys,
        audit,
        mail,
        operators,
        inboxes,
        contacts,
        conversations,
        messages,
        agents,
        notifications,
        analytics,
        webhooks,
        api_channel,
        widget,
        realtime,
        system,
        pages,
        inbox_pages,
        knowledge,
        assistant,
        ai_providers,
        copilot,
        assistant_files,
        playground,
        staff_assistant,
        whatsapp,
        scheduling,
        leads,
        transcripts,
        flows,
        knowledge_pages,
        assistants_pages,
        whatsapp_pages,
        meetings_pages,
        leads_pages,
        flows_pages,
        notifications_pages,
        analytics_pages,
        ai_providers_pages,
        copilot_pages,
        playground_pages,
        staff_assistant_pages,
    ]


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    runtime: Runtime | None = None,
    start_background: bool = True,
    on_ready: Callable[[], None] | None = None,
) -> FastAPI:
    settings = settings or (runtime.settings if runtime else Settings())
    configure_logging(settings.log_level, settings.log_json)
    runtime = runtime or Runtime(settings, clock=clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if start_background:
            await runtime.start()
        log.info(
            "started",
            database=runtime.engine.url.get_backend_name(),
            distributed=settings.distributed,
            sweeper=settings.sweeper_enabled,
        )
        if on_ready is not None:
            on_ready()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Frontdesk",
        version="0.1.0",
        description="Self-hosted AI front desk for customer conversations.",
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url="/docs",
        # We export Prometheus metrics ourselves; FastAPI's OpenTelemetry hooks cost a lookup per request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        redoc_url=None,
    )
    app.state.runtime = runtime
    _install_error_handlers(app)
    for router in _routers():
        # Flat, not nested: FastAPI walks nested routers twice per request, and none of ours needs
        # options at inclusion.
        app.router.routes.extend(router.routes)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    index_routes(app)
    if settings.cors_origins:
        app.add_middleware(
            WidgetExemptCORS,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    from frontdesk.channels.web.storage import upload_body_limit

    app.add_middleware(
        RequestMiddleware,
        metrics=runtime.metrics,
        max_body_bytes=settings.max_body_bytes,
        body_limits={
            r"/api/v1/widget/[^/]+/attachments": upload_body_limit(settings),
            r"/api/v1/conversations/[^/]+/attachments": upload_body_limit(settings),
        },
    )
    return app


class WidgetExemptCORS:
    """The operator's CORS list governs the API; the widget's routes answer CORS themselves.

    The widget runs on customers' own sites, which no installation-wide list can name, and each
    inbox keeps its own allowed origins. Starlette's middleware would refuse their preflights.
    """

    EXEMPT = ("/api/v1/widget/", "/widget.js", "/api/v1/public/")

    def __init__(self, app: ASGIApp, /, **options: Any) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(self.EXEMPT):
            await self.app(scope, receive, send)
        else:
            await self.cors(scope, receive, send)


def _wants_page(request: Request) -> bool:
    """A person's browser asking for a page gets a page; API clients get JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/health", "/metrics", "/static/", "/docs", "/openapi")):
        return False
    return path.startswith("/app") or "text/html" in request.headers.get("accept", "")


def _error(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message, "details": details or {}}, status_code=status, headers=headers
    )


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FrontdeskError)
    async def frontdesk_error(request: Request, exc: FrontdeskError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return _error(exc.status_code, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            errors.append({"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg"), "type": err.get("type")})
        malformed = any(e["type"] == "json_invalid" for e in errors)
        if malformed:
            return _error(400, "malformed_json", "The request body is not valid JSON.", {"errors": errors})
        first = errors[0] if errors else {"loc": [], "msg": "invalid"}
        where = ".".join(p for p in first["loc"] if p not in ("body", "query", "path"))
        message = f"{where}: {first['msg']}" if where else str(first["msg"])
        return _error(422, "validation_error", message, {"errors": json.loads(json.dumps(errors, default=str))})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_page(request):
            from frontdesk.web.dependencies import error_page

            text = "There is nothing at this address." if exc.status_code == 404 else str(exc.detail)
            return error_page(request, exc.status_code, text)
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = "There is nothing at this address."
        return _error(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return _error(
            500,
            "internal_error",
            "Something went wrong on our side; it has been logged.",
            {"request_id": request.scope.get("state", {}).get("request_id")},
        )
