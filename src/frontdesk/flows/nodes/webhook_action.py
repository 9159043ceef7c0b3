"""``webhook_action``: an HTTP call through the SSRF guard, its answer kept in state.

The request runs outside the database transaction (the engine calls :meth:`prepare` and
:meth:`perform`, then :meth:`run` with the outcome), so a slow remote never holds a lock.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from pydantic import Field

from frontdesk.flows import templating
from frontdesk.flows.nodes.base import NodeBase, NodeContext, NodeResult

MAX_RESPONSE_BYTES = 262_144
MAX_STORED_JSON = 65_536


class WebhookAction(NodeBase):
    type: Literal["webhook_action"] = "webhook_action"
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str = Field(min_length=1, max_length=2000)
    headers: dict[str, str] = Field(default_factory=dict, max_length=20)
    body: str | None = Field(None, max_length=20_000, description="Template; values are JSON-escaped")
    timeout_seconds: float = Field(10, gt=0, le=30)
    retries: int = Field(0, ge=0, le=3)
    save_as: str = Field("response", min_length=1, max_length=80, pattern=r"^[a-z_][a-z0-9_]*$")

    ports: ClassVar[tuple[str, ...]] = ("next", "failure")
    io: ClassVar[bool] = True

    def templates(self) -> list[str]:
        return [self.url, self.body or "", *self.headers.values()]

    def writes(self) -> list[str]:
        return [f"state.{self.save_as}"]

    def check(self) -> list[str]:
        url = self.url.strip()
        if not (url.startswith("http://") or url.startswith("https://") or url.startswith("{{")):
            return ["The URL must start with http:// or https://."]
        return []

    def prepare(self, values: dict[str, Any]) -> dict[str, Any]:
        """Render everything while the execution is loaded; the result is plain data for :meth:`perform`."""
        url = templating.render(self.url, values, escape=lambda s: quote(s, safe=""))
        body = None
        headers = {k: templating.render(v, values)[:1000] for k, v in self.headers.items()}
        if self.body is not None:
            body = templating.render(self.body, values, escape=lambda s: json.dumps(s)[1:-1])
            headers.setdefault("Content-Type", "application/json")
        return {"method": self.method, "url": url, "headers": headers, "body": body}

    async def perform(self, request: dict[str, Any], *, allow_private: bool) -> dict[str, Any]:
        """Call the remote (with retries); never raises: the outcome says what happened."""
        import httpx

        from frontdesk.kit.http import BlockedTarget, guarded_request

        last_error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(min(0.5 * 2**attempt, 4))
            try:
                response = await guarded_request(
                    request["method"],
                    request["url"],
                    allow_private=allow_private,
                    headers=request["headers"],
                    content=request["body"].encode() if request["body"] is not None else None,
                    timeout=self.timeout_seconds,
                    max_bytes=MAX_RESPONSE_BYTES,
                )
            except BlockedTarget as exc:
                return {"ok": False, "error": exc.message, "attempts": attempt + 1}
            except (httpx.HTTPError, OSError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"[:500]
                continue
            if response.truncated:
                return {
                    "ok": False,
                    "status": response.status,
                    "error": f"the response is larger than {MAX_RESPONSE_BYTES} bytes",
                    "attempts": attempt + 1,
                }
            data: Any = None
            is_json = False
            if response.body:
                try:
                    data = json.loads(response.body)
                    is_json = True
                except ValueError:
                    data = None
            if is_json and len(response.body) > MAX_STORED_JSON:
                data, is_json = None, False
            outcome = {
                "ok": 200 <= response.status < 300,
                "status": response.status,
                "json": data,
                "is_json": is_json,
                "text": None if is_json else response.text()[:2000],
                "attempts": attempt + 1,
            }
            if response.status >= 500 and attempt < self.retries:
                last_error = f"HTTP {response.status}"
                continue
            if not outcome["ok"]:
                outcome["error"] = f"HTTP {response.status}"
            return outcome
        return {"ok": False, "error": last_error or "request failed", "attempts": self.retries + 1}

    async def run(self, ctx: NodeContext) -> NodeResult:
        outcome: dict[str, Any] = ctx.values.get("__io") or {"ok": False, "error": "the request was not made"}
        stored = {k: outcome.get(k) for k in ("ok", "status", "json", "text", "error")}
        ctx.set_state(self.save_as, stored)
        if not outcome.get("ok"):
            return NodeResult(port="failure", output=stored)
        return NodeResult(output=stored)
