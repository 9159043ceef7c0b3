"""Our error hierarchy. Services raise these; the app maps them to ``{code, message, details}``.

Services never raise ``HTTPException``: the same service runs under HTTP, WebSockets, jobs and the CLI.
"""

from __future__ import annotations

from typing import Any


class FrontdeskError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        keep_changes: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        # The request fails, yet what it wrote must stay: the audit row of a failed sign-in, say.
        self.keep_changes = keep_changes
        if code is not None:
            self.code = code
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class BadRequest(FrontdeskError):
    pass


class ValidationFailed(FrontdeskError):
    status_code = 422
    code = "validation_error"


class Unauthorized(FrontdeskError):
    status_code = 401
    code = "unauthorized"


class Forbidden(FrontdeskError):
    status_code = 403
    code = "forbidden"


class NotFound(FrontdeskError):
    """Also what another tenant's ids answer: their existence is not ours to reveal."""

    status_code = 404
    code = "not_found"


class Conflict(FrontdeskError):
    status_code = 409
    code = "conflict"


class Gone(FrontdeskError):
    status_code = 410
    code = "gone"


class PayloadTooLarge(FrontdeskError):
    status_code = 413
    code = "payload_too_large"


class RateLimited(FrontdeskError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, details={"retry_after": retry_after})
        self.retry_after = retry_after


class ServiceUnavailable(FrontdeskError):
    status_code = 503
    code = "unavailable"
