"""The application's error hierarchy. Services raise these; the exception handler renders them."""

from typing import Any


class ApplicationError(Exception):
    """A business-rule failure with the HTTP status it maps to and optional extra body fields."""

    status_code = 400
    default_message = "Bad request"

    def __init__(
        self, message: str | None = None, *, status_code: int | None = None, extra: dict[str, Any] | None = None
    ):
        self.message = message or self.default_message
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra or {}
        super().__init__(self.message)


class NotFoundError(ApplicationError):
    status_code = 404
    default_message = "Not found"


class PermissionDeniedError(ApplicationError):
    status_code = 403
    default_message = "Permission denied"


class ConflictError(ApplicationError):
    status_code = 409
    default_message = "Conflict"


class AuthenticationError(ApplicationError):
    """401. Every 401 body is the seed's ``{"detail": "Could not validate credentials"}`` plus a
    machine-readable ``code``; ``message`` is the reason, for logs only (it may help an attacker)."""

    status_code = 401
    default_message = "Could not validate credentials"
    default_code = "invalid_credentials"

    def __init__(self, message: str | None = None, *, code: str | None = None, extra: dict[str, Any] | None = None):
        self.code = code or self.default_code
        super().__init__(message, extra=extra)


class RateLimitedError(ApplicationError):
    """429 with ``retry_after`` seconds (also sent as the Retry-After header)."""

    status_code = 429
    default_message = "Rate limit exceeded"

    def __init__(self, message: str | None = None, *, retry_after: int, extra: dict[str, Any] | None = None):
        self.retry_after = max(1, int(retry_after))
        super().__init__(message, extra={"retry_after": self.retry_after, **(extra or {})})


class ServiceUnavailableError(ApplicationError):
    status_code = 503
    default_message = "Service temporarily unavailable"
