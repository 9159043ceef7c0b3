"""Meta's ``X-Hub-Signature-256``: HMAC-SHA256 of the raw body under the app secret, in lowercase hex.

Always over the bytes exactly as received: Meta escapes non-ASCII characters in what it sends, so
re-serialising the parsed JSON would hash different bytes.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"


def sign(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time comparison; a missing or malformed header is simply not valid."""
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(app_secret, body).encode(), header.strip().lower().encode())
