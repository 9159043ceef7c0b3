"""The HTTP client each provider instance owns: built per use, closed when the model's run ends.

Building a client is cheap except for its TLS context: loading the CA bundle costs tens to hundreds
of milliseconds of CPU, which a client per model call would pay every time. The context is built
once per process and shared; it is configuration (trust roots and protocol settings), never changed
after it is built, and holds no connection or tenant state, so sharing it keeps each client separate.
"""

from __future__ import annotations

import functools
import ssl

import certifi
import httpx2
from pydantic_ai._http import DEFAULT_HTTP_LIMITS
from pydantic_ai.models import get_user_agent


@functools.cache
def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def client_for(timeout_seconds: float) -> httpx2.AsyncClient:
    """A client whose every phase is bounded by the provider's timeout (connect by at most 5 s)."""
    return httpx2.AsyncClient(
        timeout=httpx2.Timeout(timeout_seconds, connect=min(timeout_seconds, 5.0)),
        limits=DEFAULT_HTTP_LIMITS,
        verify=tls_context(),
        headers={"User-Agent": get_user_agent()},
    )
