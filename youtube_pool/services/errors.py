"""Classify Google's errors (HTTP error bodies, OAuth refresh errors, transport failures)."""

import http.client
import json
import socket
from enum import StrEnum

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError

from ytempire.core.exceptions import ApplicationError

from ..exceptions import (
    QuotaExhaustedError,
    ReauthorizationRequiredError,
    UploadLimitExceededError,
    YouTubeTransientError,
)


class ErrorKind(StrEnum):
    QUOTA = "quota"  # quotaExceeded / dailyLimitExceeded: the project's bucket is spent until reset
    UPLOAD_LIMIT = "upload_limit"  # uploadLimitExceeded: this channel's daily cap
    RATE_LIMIT = "rate_limit"  # rateLimitExceeded / userRateLimitExceeded: retry with backoff
    SERVER = "server"  # 5xx: retry with backoff
    TRANSPORT = "transport"  # connection reset, timeout: retry (resume) with backoff
    REAUTH = "reauth"  # invalid_grant, revoked token, 401: the account needs reauthorisation
    CLIENT = "client"  # any other 4xx: retrying will not help
    UNKNOWN = "unknown"


RETRIABLE = frozenset({ErrorKind.RATE_LIMIT, ErrorKind.SERVER, ErrorKind.TRANSPORT})
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "dailyLimitExceededUnreg"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
TRANSPORT_ERRORS = (OSError, socket.timeout, http.client.HTTPException, httplib2.HttpLib2Error)


def http_error_reason(exc: HttpError) -> tuple[int, str, str]:
    """(status, first reason, message) from YouTube's body ``{"error": {"code", "message", "errors": [...]}}``."""
    status = int(getattr(exc.resp, "status", 0) or 0)
    reason, message = "", ""
    try:
        body = json.loads(exc.content.decode() if isinstance(exc.content, bytes) else exc.content)
        error = body.get("error", {}) if isinstance(body, dict) else {}
        if isinstance(error, dict):
            message = str(error.get("message", ""))
            errors = error.get("errors") or []
            if errors and isinstance(errors[0], dict):
                reason = str(errors[0].get("reason", ""))
            if not reason:
                reason = str(error.get("status", ""))
        elif isinstance(error, str):  # OAuth-style {"error": "invalid_grant"}
            reason = error
            message = str(body.get("error_description", ""))
    except (ValueError, AttributeError, UnicodeDecodeError):
        pass
    return status, reason, message


def _refresh_error_code(exc: auth_exceptions.RefreshError) -> str:
    for arg in exc.args:
        if isinstance(arg, dict) and arg.get("error"):
            return str(arg["error"])
    text = str(exc.args[0]) if exc.args else ""
    return text.split(":", 1)[0].strip()


def classify_error(exc: BaseException | None) -> ErrorKind:
    if exc is None:
        return ErrorKind.UNKNOWN
    if isinstance(exc, ApplicationError):
        mapped = {
            QuotaExhaustedError: ErrorKind.QUOTA,
            UploadLimitExceededError: ErrorKind.UPLOAD_LIMIT,
            ReauthorizationRequiredError: ErrorKind.REAUTH,
            YouTubeTransientError: ErrorKind.SERVER,
        }
        for cls, kind in mapped.items():
            if isinstance(exc, cls):
                return kind
        return classify_error(exc.__cause__) if exc.__cause__ else ErrorKind.CLIENT
    if isinstance(exc, HttpError):
        status, reason, _ = http_error_reason(exc)
        if reason in QUOTA_REASONS:
            return ErrorKind.QUOTA
        if reason == "uploadLimitExceeded":
            return ErrorKind.UPLOAD_LIMIT
        if reason in RATE_REASONS or status == 429:
            return ErrorKind.RATE_LIMIT
        if status == 401 or reason in ("invalid_grant", "authError"):
            return ErrorKind.REAUTH
        if status >= 500:
            return ErrorKind.SERVER
        return ErrorKind.CLIENT
    if isinstance(exc, auth_exceptions.RefreshError):
        code = _refresh_error_code(exc)
        if code in ("invalid_grant", "invalid_token", "unauthorized_client"):
            return ErrorKind.REAUTH
        return ErrorKind.TRANSPORT if getattr(exc, "retryable", False) else ErrorKind.CLIENT
    if isinstance(exc, (auth_exceptions.TransportError, *TRANSPORT_ERRORS)):
        return ErrorKind.TRANSPORT
    return ErrorKind.UNKNOWN


def describe_error(exc: BaseException | None) -> str:
    """A short, secret-free description for logs and the account's last_error."""
    if exc is None:
        return ""
    if isinstance(exc, HttpError):
        status, reason, message = http_error_reason(exc)
        return f"HTTP {status} {reason}: {message}"[:500]
    if isinstance(exc, auth_exceptions.RefreshError):
        return f"OAuth refresh failed: {_refresh_error_code(exc)}"[:500]
    if isinstance(exc, ApplicationError):
        return exc.message[:500]
    return exc.__class__.__name__
