"""Structured JSON logs with the request context, and redaction of secrets (for the logs and Sentry)."""

import json
import logging
import re
from datetime import UTC, datetime

from .request_context import get_request_id, get_user_id

_SECRET_KEYS = re.compile(r"(pass(word)?|token|secret|authori[sz]ation|api[_-]?key|credential|signature|cookie)", re.I)
_SECRET_VALUES = [
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[REDACTED]"),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[REDACTED-JWT]"),
    (re.compile(r"\b(sk|rk|pk)_(live|test)_[A-Za-z0-9]+"), "[REDACTED-KEY]"),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]+"), "[REDACTED-KEY]"),
    (re.compile(r"(?i)((?:password|token|secret|api_key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"), r"\1[REDACTED]"),
]
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id", "user_id"}


def redact(value):
    """Scrub secrets from strings, dicts and lists (keys that name secrets lose their values)."""
    if isinstance(value, str):
        for pattern, replacement in _SECRET_VALUES:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, dict):
        return {k: ("[REDACTED]" if _SECRET_KEYS.search(str(k)) else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def redact_emails(text: str) -> str:
    """Email addresses become ``[EMAIL]`` (Prometheus labels, Sentry events)."""
    return _EMAIL.sub("[EMAIL]", text)


def _redact_for_sentry(value):
    if isinstance(value, str):
        return redact_emails(value)
    if isinstance(value, dict):
        return {k: _redact_for_sentry(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_for_sentry(v) for v in value]
    return value


_SENTRY_OWN_KEYS = (
    "event_id",
    "timestamp",
    "start_timestamp",
    "platform",
    "level",
    "release",
    "dist",
    "environment",
    "sdk",
    "type",
    "modules",
)


def sentry_before_send(event: dict, hint: dict | None = None) -> dict:
    """Sentry's ``before_send``: the logs' redaction (secret-named keys, bearer tokens, JWTs, Stripe
    and webhook secrets, ``password=...``) over the whole event — message, exception values, frame
    variables, request data, headers, cookies and query string, extra, breadcrumbs — and, as Sentry
    runs with ``send_default_pii=False``, email addresses too. Never drops the event."""
    scrubbed = _redact_for_sentry(redact(dict(event)))
    # Sentry's own bookkeeping stays as it is (a release "ytempire@1.2" is no address, "modules" no secret).
    scrubbed.update({key: event[key] for key in _SENTRY_OWN_KEYS if key in event})
    return scrubbed


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = get_request_id()
        if not hasattr(record, "user_id"):
            record.user_id = get_user_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = "[REDACTED]" if _SECRET_KEYS.search(key) else redact(value)
        if record.exc_info:
            payload["exc_info"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)
