"""A local fake of Google's OAuth token endpoint and the Calendar v3 API, for google-api-python-client.

It serves the real discovery document from ``../shared/corpora/google_calendar`` and checks what the
client sends against that document's schemas: an Event body may only carry properties the Event
schema has, a ``createRequest`` only what CreateConferenceRequest has, and conference data is only
honoured with ``conferenceDataVersion=1``, as the conferencing guide in the same folder says. The
conference comes back ``pending`` first and ``success`` on the next read, as the guide describes.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "google_calendar" / "discovery"


def _load() -> tuple[dict[str, Any], dict[str, Any]]:
    discovery = json.loads((CORPUS / "calendar.v3.json").read_text())
    return discovery, discovery["schemas"]


def _error(status: int, message: str, reason: str = "badRequest") -> JSONResponse:
    # The error envelope of Google APIs: {"error": {"code", "message", "errors": [...]}}.
    return JSONResponse(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"domain": "global", "reason": reason, "message": message}],
            }
        },
        status_code=status,
    )


@dataclass
class FakeGoogle:
    client_id: str = "fake-client-id"
    client_secret: str = "fake-client-secret"
    good_code: str = "good-code"
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    busy: list[dict[str, str]] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    down: bool = False

    def __post_init__(self) -> None:
        self.discovery, self.schemas = _load()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/discovery/v1/apis/calendar/v3/rest", self.discovery_doc),
                Route("/o/oauth2/auth", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/calendar/v3/calendars/{cid}/events", self.insert, methods=["POST"]),
                Route("/calendar/v3/calendars/{cid}/events/{eid}", self.one, methods=["GET", "PATCH", "DELETE"]),
                Route("/calendar/v3/freeBusy", self.freebusy, methods=["POST"]),
            ]
        )

    # ---------------------------------------------------------------- OAuth

    async def discovery_doc(self, request: Request) -> Response:
        return JSONResponse(self.discovery)

    async def authorize(self, request: Request) -> Response:
        return Response("consent screen", media_type="text/plain")

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = form.get("grant_type")
        if grant == "authorization_code" and form.get("code") == self.good_code and form.get("redirect_uri"):
            refresh = "refresh-" + uuid.uuid4().hex
        elif grant == "refresh_token" and str(form.get("refresh_token", "")).startswith("refresh-"):
            refresh = None
        else:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access = "access-" + uuid.uuid4().hex
        self.tokens.add(access)
        body: dict[str, Any] = {"access_token": access, "expires_in": 3599, "token_type": "Bearer", "scope": "x"}
        if refresh:
            body["refresh_token"] = refresh
        return JSONResponse(body)

    # ---------------------------------------------------------------- Calendar v3

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.tokens

    def _check_event(self, body: dict[str, Any]) -> str | None:
        allowed = set(self.schemas["Event"]["properties"])
        unknown = set(body) - allowed
        if unknown:
            return f"unknown Event properties {sorted(unknown)}"
        create = (body.get("conferenceData") or {}).get("createRequest")
        if create is not None:
            extra = set(create) - set(self.schemas["CreateConferenceRequest"]["properties"])
            if extra or not create.get("requestId"):
                return f"bad createRequest {create}"
            key = (create.get("conferenceSolutionKey") or {}).get("type")
            if key not in (None, "hangoutsMeet", "eventHangout", "eventNamedHangout", "addOn"):
                return f"bad conferenceSolutionKey.type {key}"
        for end in ("start", "end"):
            value = body.get(end)
            if value is not None and set(value) - set(self.schemas["EventDateTime"]["properties"]):
                return f"bad {end}"
        return None

    async def _guard(self, request: Request) -> Response | None:
        if self.down:
            return _error(503, "Backend Error", "backendError")
        if not self._authorised(request):
            return _error(401, "Request had invalid authentication credentials.", "authError")
        return None

    async def insert(self, request: Request) -> Response:
        if (refused := await self._guard(request)) is not None:
            return refused
        body = await request.json()
        params = dict(request.query_params)
        self.requests.append(("insert", request.path_params["cid"], params, body))
        if (problem := self._check_event(body)) is not None:
            return _error(400, problem)
        if "start" not in body or "end" not in body:
            return _error(400, "Missing time range.", "required")
        event_id = uuid.uuid4().hex
        event = {
            "kind": "calendar#event",
            "etag": '"1"',
            "id": event_id,
            "status": "confirmed",
            "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
            **{k: v for k, v in body.items() if k != "conferenceData"},
        }
        create = (body.get("conferenceData") or {}).get("createRequest")
        if create is not None and params.get("conferenceDataVersion") == "1":
            event["conferenceData"] = {
                "createRequest": {**create, "status": {"statusCode": "pending"}},
            }
        self.events[event_id] = event
        return JSONResponse(event)

    def _settle(self, event: dict[str, Any]) -> None:
        """The asynchronous conference creation finishes: pending → success, with a Meet link."""
        data = event.get("conferenceData")
        if not data or data["createRequest"]["status"]["statusCode"] != "pending":
            return
        meet = "https://meet.google.com/abc-defg-hij"
        data["createRequest"]["status"]["statusCode"] = "success"
        data["entryPoints"] = [{"entryPointType": "video", "uri": meet, "label": "meet.google.com/abc-defg-hij"}]
        data["conferenceSolution"] = {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"}
        data["conferenceId"] = "abc-defg-hij"
        event["hangoutLink"] = meet

    async def one(self, request: Request) -> Response:
        if (refused := await self._guard(request)) is not None:
            return refused
        event_id = request.path_params["eid"]
        event = self.events.get(event_id)
        if event is None or event.get("status") == "cancelled":
            return (
                _error(404, "Not Found", "notFound")
                if event is None
                else _error(410, "Resource has been deleted", "deleted")
            )
        if request.method == "GET":
            self._settle(event)
            return JSONResponse(event)
        if request.method == "DELETE":
            self.requests.append(("delete", request.path_params["cid"], {}, {"id": event_id}))
            event["status"] = "cancelled"
            return Response(status_code=204)
        body = await request.json()
        self.requests.append(("patch", request.path_params["cid"], dict(request.query_params), body))
        if (problem := self._check_event(body)) is not None:
            return _error(400, problem)
        event.update({k: v for k, v in body.items() if k != "conferenceData"})
        self._settle(event)
        return JSONResponse(event)

    async def freebusy(self, request: Request) -> Response:
        if (refused := await self._guard(request)) is not None:
            return refused
        body = await request.json()
        self.requests.append(("freebusy", "", {}, body))
        busy = list(self.busy) + [
            {"start": e["start"]["dateTime"], "end": e["end"]["dateTime"]}
            for e in self.events.values()
            if e.get("status") != "cancelled"
        ]
        lo, hi = body["timeMin"], body["timeMax"]
        calendars = {
            item["id"]: {"busy": [b for b in busy if b["end"] > lo and b["start"] < hi]}
            for item in body.get("items", [])
        }
        return JSONResponse({"kind": "calendar#freeBusy", "timeMin": lo, "timeMax": hi, "calendars": calendars})
