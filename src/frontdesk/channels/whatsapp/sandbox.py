"""A local stand-in for Meta's Graph API and webhooks, for demos and tests.

It accepts sends the way the Cloud API does (``POST /v{version}/{phone_id}/messages``), answers with
realistic ``wamid`` ids, serves media and templates, and posts status webhooks signed with the app
secret exactly as Meta does. A developer can "be the customer" from its page: what they type is
delivered to Frontdesk as a signed customer message. Payload shapes follow
``../shared/corpora/whatsapp/pywa`` (a test compares them).

Failure injection (``fail_next``), latency and idempotency by ``biz_opaque_callback_data`` make it a
test double for the outbox as well.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import json
import secrets
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from frontdesk.channels.whatsapp.signature import HEADER, sign

Deliver = Callable[[bytes, dict[str, str]], Awaitable[int]]

BUTTON_LIMIT, BUTTON_TITLE = 3, 20
LIST_ROWS, ROW_TITLE = 10, 24


def new_wamid() -> str:
    return "wamid." + base64.b64encode(b"\x15\x02\x00\x11\x18\x12" + secrets.token_bytes(18)).decode()


def _error(status: int, code: int, message: str, details: str = "") -> JSONResponse:
    body = {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details or message},
            "fbtrace_id": secrets.token_urlsafe(12),
        }
    }
    return JSONResponse(body, status_code=status)


@dataclass
class Sandbox:
    phone_number_id: str = "1122334455667"
    display_phone_number: str = "15550001111"
    waba_id: str = "1234567890987654321"
    access_token: str = "sandbox-token"
    app_secret: str = "sandbox-app-secret"
    verified_name: str = "Frontdesk Sandbox"
    base_url: str = "http://127.0.0.1:8090"
    latency: float = 0.0
    auto_status: bool = True
    deliver: Deliver | None = None
    sent: list[dict[str, Any]] = field(default_factory=list)
    reads: list[dict[str, Any]] = field(default_factory=list)
    fail_next: deque[tuple[int, int, str]] = field(default_factory=deque)
    fail_until: float = 0.0
    next_ids: deque[str] = field(default_factory=deque)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    templates: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "id": "594425479261596",
                "name": "order_update",
                "language": "en_US",
                "status": "APPROVED",
                "category": "UTILITY",
                "components": [{"type": "BODY", "text": "Hello {{1}}, your order {{2}} has shipped."}],
            },
            {
                "id": "594425479261597",
                "name": "welcome_back",
                "language": "en_US",
                "status": "APPROVED",
                "category": "MARKETING",
                "components": [{"type": "BODY", "text": "Welcome back! Reply to continue."}],
            },
            {
                "id": "594425479261598",
                "name": "spring_sale",
                "language": "en_US",
                "status": "REJECTED",
                "category": "MARKETING",
                "components": [{"type": "BODY", "text": "Sale!"}],
            },
        ]
    )
    _by_tracker: dict[str, str] = field(default_factory=dict)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    # ------------------------------------------------------------ webhooks, shaped like Meta's

    def envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": self.waba_id,
                    "changes": [
                        {
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": self.display_phone_number,
                                    "phone_number_id": self.phone_number_id,
                                },
                                **value,
                            },
                            "field": "messages",
                        }
                    ],
                }
            ],
        }

    def customer_message(
        self, wa_id: str, text: str, *, name: str = "Sandbox Customer", wamid: str | None = None
    ) -> dict[str, Any]:
        return self.envelope(
            {
                "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                "messages": [
                    {
                        "from": wa_id,
                        "id": wamid or new_wamid(),
                        "timestamp": str(int(time.time())),
                        "text": {"body": text},
                        "type": "text",
                    }
                ],
            }
        )

    def status(
        self, wamid: str, status: str, recipient: str, errors: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": wamid,
            "status": status,
            "timestamp": str(int(time.time())),
            "recipient_id": recipient,
        }
        if errors:
            item["errors"] = errors
        else:
            item["conversation"] = {"id": secrets.token_hex(15), "origin": {"type": "service"}}
            item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
        return self.envelope({"statuses": [item]})

    def signed(self, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        # Meta escapes non-ASCII characters; ensure_ascii does the same.
        body = json.dumps(payload, ensure_ascii=True).encode()
        return body, {HEADER: sign(self.app_secret, body), "Content-Type": "application/json"}

    async def emit(self, payload: dict[str, Any]) -> int:
        if self.deliver is None:
            return 0
        body, headers = self.signed(payload)
        return await self.deliver(body, headers)

    def _later(self, payloads: list[dict[str, Any]]) -> None:
        async def run() -> None:
            for p in payloads:
                await asyncio.sleep(0.01)
                try:
                    await self.emit(p)
                except Exception as exc:
                    # Like Meta, a status that cannot be delivered is dropped, not fatal.
                    print(f"sandbox: status webhook not delivered: {exc!r}", file=sys.stderr)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------ the Graph API

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.access_token}"

    async def messages(self, request: Request) -> Response:
        if not self._authorized(request):
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if request.path_params["phone_id"] != self.phone_number_id:
            return _error(400, 100, "Unsupported post request.", "Unknown phone number id")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, 100, "Invalid parameter", "The body is not JSON")
        if body.get("status") == "read":
            self.reads.append(body)
            return JSONResponse({"success": True})
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.fail_until and time.monotonic() < self.fail_until:
            return _error(500, 131000, "Something went wrong", "The sandbox is failing on purpose")
        if self.fail_next:
            status, code, message = self.fail_next.popleft()
            return _error(status, code, message)
        problem = self._invalid(body)
        if problem:
            return _error(400, 131009, "(#131009) Parameter value is not valid", problem)
        tracker = body.get("biz_opaque_callback_data")
        if tracker and tracker in self._by_tracker:
            wamid = self._by_tracker[tracker]
        else:
            wamid = self.next_ids.popleft() if self.next_ids else new_wamid()
            if tracker:
                self._by_tracker[tracker] = wamid
            self.sent.append({**body, "id": wamid})
            if self.auto_status:
                to = str(body.get("to"))
                self._later([self.status(wamid, "sent", to), self.status(wamid, "delivered", to)])
        to = str(body.get("to"))
        return JSONResponse(
            {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]}
        )

    def _invalid(self, body: dict[str, Any]) -> str:
        if body.get("messaging_product") != "whatsapp" or not body.get("to"):
            return "messaging_product and to are required"
        typ = body.get("type")
        if typ not in body:
            return f"the {typ} object is missing"
        if typ == "interactive":
            action = body["interactive"].get("action") or {}
            if body["interactive"].get("type") == "button":
                buttons = action.get("buttons") or []
                if not 1 <= len(buttons) <= BUTTON_LIMIT or any(
                    len(b["reply"]["title"]) > BUTTON_TITLE for b in buttons
                ):
                    return "buttons: 1 to 3, titles up to 20 characters"
            else:
                rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
                if not 1 <= len(rows) <= LIST_ROWS or any(len(r["title"]) > ROW_TITLE for r in rows):
                    return "list rows: 1 to 10, titles up to 24 characters"
        if typ == "template":
            names = {(t["name"], t["language"]) for t in self.templates if t["status"] == "APPROVED"}
            tpl = body["template"]
            if (tpl.get("name"), (tpl.get("language") or {}).get("code")) not in names:
                return "template name does not exist in the translation"
        return ""

    async def node(self, request: Request) -> Response:
        """GET /{id}: a phone number or a media object."""
        if not self._authorized(request):
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        node = request.path_params["node"]
        if node == self.phone_number_id:
            return JSONResponse(
                {
                    "verified_name": self.verified_name,
                    "code_verification_status": "VERIFIED",
                    "display_phone_number": self.display_phone_number,
                    "quality_rating": "GREEN",
                    "platform_type": "CLOUD_API",
                    "throughput": {"level": "STANDARD"},
                    "id": self.phone_number_id,
                }
            )
        if node in self.media:
            data, mime = self.media[node]
            return JSONResponse(
                {
                    "url": f"{self.base_url}/media-download/{node}",
                    "mime_type": mime,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "file_size": len(data),
                    "id": node,
                    "messaging_product": "whatsapp",
                }
            )
        return _error(400, 100, "Unsupported get request. Object does not exist")

    async def templates_list(self, request: Request) -> Response:
        if not self._authorized(request):
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if request.path_params["waba"] != self.waba_id:
            return _error(400, 100, "Unsupported get request. Object does not exist")
        return JSONResponse({"data": self.templates, "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}})

    async def download(self, request: Request) -> Response:
        if not self._authorized(request):
            return Response(status_code=404)
        data, mime = self.media.get(request.path_params["media"], (b"", ""))
        if not mime:
            return Response(status_code=404)
        return Response(data, media_type=mime)

    # ------------------------------------------------------------ "be the customer"

    async def page(self, request: Request) -> Response:
        rows = "".join(
            f"<li><b>to {html.escape(str(m.get('to')))}</b> ({html.escape(str(m.get('type')))}): "
            f"{html.escape(json.dumps(m.get(m.get('type') or '', {}))[:300])}</li>"
            for m in reversed(self.sent[-50:])
        )
        return HTMLResponse(
            "<!doctype html><meta charset=utf-8><title>WhatsApp sandbox</title>"
            "<h1>WhatsApp sandbox</h1>"
            f"<p>Phone number id <code>{html.escape(self.phone_number_id)}</code>, WABA "
            f"<code>{html.escape(self.waba_id)}</code>, token <code>{html.escape(self.access_token)}</code>, "
            f"app secret <code>{html.escape(self.app_secret)}</code>.</p>"
            "<form method=post action=/customer><label>Your number <input name=wa_id value=15551234567></label> "
            "<label>Name <input name=name value='Sandbox Customer'></label><br>"
            "<textarea name=text rows=3 cols=60 required></textarea><br><button>Send as the customer</button></form>"
            f"<h2>Sent by the business</h2><ul>{rows}</ul>"
        )

    async def customer(self, request: Request) -> Response:
        form = await request.form()
        wa_id = str(form.get("wa_id") or "15551234567")
        await self.emit(self.customer_message(wa_id, str(form.get("text") or ""), name=str(form.get("name") or "")))
        return RedirectResponse("/", status_code=303)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self.page),
                Route("/customer", self.customer, methods=["POST"]),
                Route("/media-download/{media}", self.download),
                Route("/v{version}/{phone_id}/messages", self.messages, methods=["POST"]),
                Route("/v{version}/{waba}/message_templates", self.templates_list),
                Route("/v{version}/{node}", self.node),
            ]
        )


def http_deliver(url: str) -> Deliver:
    """Deliver webhooks to a running Frontdesk over HTTP (the dev command)."""
    import httpx

    async def deliver(body: bytes, headers: dict[str, str]) -> int:
        async with httpx.AsyncClient(timeout=10) as client:
            return (await client.post(url, content=body, headers=headers)).status_code

    return deliver
