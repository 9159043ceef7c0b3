"""The Graph API through pywa_async: a client made per use from an inbox's settings.

Nothing here outlives one call: the client, its HTTP session and the decrypted token exist for the
duration of a ``with`` block, so rotating credentials or moving a number takes effect at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pywa_async import WhatsApp
from pywa_async.errors import WhatsAppError

from frontdesk.channels.web.storage import FILES_PREFIX
from frontdesk.inboxes.models import Inbox
from frontdesk.kit.errors import ValidationFailed

if TYPE_CHECKING:
    from frontdesk.kit.runtime import Runtime

# Meta error codes that mean "later may work": throttling and temporary unavailability.
RETRYABLE_CODES = frozenset({1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131048, 131056, 133004})
REENGAGEMENT = 131047  # more than 24 hours since the customer wrote


class SendFailed(Exception):
    """A send that did not happen; ``retryable`` tells the outbox whether to try again."""

    def __init__(self, message: str, *, code: str, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable


@dataclass
class WhatsAppConfig:
    phone_number_id: str = ""
    waba_id: str = ""
    access_token: str = ""
    app_secret: str = ""
    verify_token: str = ""
    opt_out_keywords: list[str] = field(default_factory=list)
    opt_in_keywords: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, runtime: Runtime, inbox: Inbox) -> WhatsAppConfig:
        from frontdesk.channels.whatsapp.schemas import DEFAULT_OPT_IN, DEFAULT_OPT_OUT

        raw = inbox.config or {}

        def secret(key: str) -> str:
            value = raw.get(key)
            if not value:
                return ""
            try:
                return runtime.secrets.decrypt(str(value))
            except ValueError:
                # Encrypted under another installation key: treated as not configured.
                return ""

        return cls(
            phone_number_id=str(raw.get("phone_number_id") or ""),
            waba_id=str(raw.get("waba_id") or ""),
            access_token=secret("access_token_encrypted"),
            app_secret=secret("app_secret_encrypted"),
            verify_token=str(raw.get("verify_token") or ""),
            opt_out_keywords=list(raw.get("opt_out_keywords") or DEFAULT_OPT_OUT),
            opt_in_keywords=list(raw.get("opt_in_keywords") or DEFAULT_OPT_IN),
        )

    @staticmethod
    def app_secret_of(runtime: Runtime, inbox: Inbox) -> str:
        """Only the app secret, for the webhook's hot path (one decryption instead of two)."""
        value = (inbox.config or {}).get("app_secret_encrypted")
        if not value:
            return ""
        try:
            return runtime.secrets.decrypt(str(value))
        except ValueError:
            return ""

    @property
    def can_send(self) -> bool:
        return bool(self.phone_number_id and self.access_token)


class graph:  # used like a function: ``async with graph(runtime, config) as wa``
    """A pywa_async client for one use.

    A class rather than ``@asynccontextmanager``: pywa's errors are frozen dataclasses, and the
    generator-based manager assigns ``__traceback__`` on them while re-raising, which they refuse.
    """

    def __init__(self, runtime: Runtime, config: WhatsAppConfig) -> None:
        if not config.can_send:
            raise SendFailed(
                "This WhatsApp inbox has no phone number id or access token yet.",
                code="not_configured",
                retryable=False,
            )
        self.runtime = runtime
        self.config = config
        self.session = httpx.AsyncClient(timeout=runtime.settings.whatsapp_timeout_seconds)

    async def __aenter__(self) -> WhatsApp:
        settings = self.runtime.settings
        wa = WhatsApp(
            phone_id=self.config.phone_number_id,
            token=self.config.access_token,
            session=self.session,
            api_version=settings.whatsapp_api_version,
            waba_id=self.config.waba_id or None,
            filter_updates=False,
            validate_updates=False,
        )
        # pywa pins graph.facebook.com; the operator's setting (the sandbox, a proxy) wins.
        self.session.base_url = f"{settings.whatsapp_graph_url.rstrip('/')}/v{settings.whatsapp_api_version}"
        return wa

    async def __aexit__(self, *exc: object) -> None:
        await self.session.aclose()


def classify(exc: BaseException) -> SendFailed:
    """Turn what pywa or httpx raised into a retry decision."""
    if isinstance(exc, SendFailed):
        return exc
    if isinstance(exc, WhatsAppError):
        status = exc.status_code or 0
        text = f"({exc.code}) {exc.message}" + (f": {exc.details}" if getattr(exc, "details", None) else "")
        if exc.code == REENGAGEMENT:
            return SendFailed(
                "More than 24 hours have passed since the customer last wrote; only a template can be sent. " + text,
                code="outside_window",
                retryable=False,
            )
        retryable = status == 429 or status >= 500 or exc.code in RETRYABLE_CODES
        return SendFailed(text, code=f"meta_{exc.code}", retryable=retryable)
    if isinstance(exc, httpx.TimeoutException):
        return SendFailed("The Graph API did not answer in time.", code="timeout", retryable=True)
    if isinstance(exc, httpx.TransportError):
        return SendFailed(f"The Graph API could not be reached: {exc}.", code="unreachable", retryable=True)
    return SendFailed(f"Unexpected error: {exc!r}", code="unexpected", retryable=True)


# ---------------------------------------------------------------- what a message becomes on WhatsApp

MAX_TEXT = 4096
MAX_BODY = 1024
MAX_BUTTONS, MAX_BUTTON_TITLE = 3, 20
MAX_ROWS, MAX_ROW_TITLE = 10, 24


def check_limits(content_type: str, content: str, payload: dict[str, Any]) -> None:
    """Refuse before storing what WhatsApp would refuse later, with the limit named."""
    if content_type == "choices":
        choices = payload.get("choices") or []
        if len(content) > MAX_BODY:
            raise ValidationFailed(
                f"A message with choices can have at most {MAX_BODY} characters on WhatsApp.", code="whatsapp_limit"
            )
        if len(choices) > MAX_ROWS:
            raise ValidationFailed(f"WhatsApp shows at most {MAX_ROWS} choices.", code="whatsapp_limit")
        longest = max((len(str(c.get("label") or c.get("id"))) for c in choices), default=0)
        if longest > MAX_ROW_TITLE:
            raise ValidationFailed(
                f"WhatsApp choice labels can have at most {MAX_ROW_TITLE} characters "
                f"({MAX_BUTTON_TITLE} for three choices or fewer shown as buttons).",
                code="whatsapp_limit",
                details={"longest": longest},
            )
    elif len(content) > MAX_TEXT:
        raise ValidationFailed(f"WhatsApp messages can have at most {MAX_TEXT} characters.", code="whatsapp_limit")


def interactive(content: str, choices: list[dict[str, Any]]) -> dict[str, Any]:
    """Reply buttons when they fit (three, short labels), a list otherwise."""
    labels = [str(c.get("label") or c.get("id")) for c in choices]
    if len(choices) <= MAX_BUTTONS and all(len(label) <= MAX_BUTTON_TITLE for label in labels):
        return {
            "type": "button",
            "body": {"text": content},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": str(c["id"])[:256], "title": label}}
                    for c, label in zip(choices, labels, strict=True)
                ]
            },
        }
    return {
        "type": "list",
        "body": {"text": content},
        "action": {
            "button": "Choose",
            "sections": [
                {
                    "title": "Options",
                    "rows": [
                        {"id": str(c["id"])[:200], "title": label} for c, label in zip(choices, labels, strict=True)
                    ],
                }
            ],
        },
    }


def template(payload: dict[str, Any]) -> dict[str, Any]:
    spec = payload.get("template") or {}
    params = [{"type": "text", "text": str(p)} for p in spec.get("parameters") or []]
    out: dict[str, Any] = {"name": spec.get("name"), "language": {"code": spec.get("language")}}
    if params:
        out["components"] = [{"type": "body", "parameters": params}]
    return out


def media(runtime: Runtime, organization_id: uuid.UUID, attachment: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An attachment we store, sent by link (a signed URL on this installation's public address)."""
    from frontdesk.channels.web.storage import sign

    ctype = str(attachment.get("content_type") or "")
    kind = (
        "image"
        if ctype.startswith("image/")
        else "video"
        if ctype.startswith("video/")
        else ("audio" if ctype.startswith("audio/") else "document")
    )
    url = str(attachment.get("url") or "")
    if url.startswith(FILES_PREFIX):
        url = runtime.settings.public_url.rstrip("/") + sign(runtime.settings, url, runtime.clock.now().timestamp())
    body: dict[str, Any] = {"link": url}
    if kind == "document":
        body["filename"] = Path(str(attachment.get("name") or "file")).name
    return kind, body
