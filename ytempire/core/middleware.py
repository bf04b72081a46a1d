"""Request id, timing headers, the HTTP metrics and one structured log line per request."""

import logging
import re
import time
import uuid

from django.conf import settings
from prometheus_client import Counter, Histogram

from .request_context import set_request_id, set_user_id

logger = logging.getLogger("ytempire.request")
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


# The HTTP metrics, under django-prometheus' names: responses by status, view and method, and the
# whole stack's latency by view and method. Its own two middlewares record eleven series per
# request (body sizes, transport, charset...), which cost a third of a bare view's time (make
# bench); these two answer the questions asked of them (rate, errors, latency per endpoint).
RESPONSES = Counter(
    "django_http_responses_total_by_status_view_method",
    "Count of responses by status, view, method.",
    ["status", "view", "method"],
)
LATENCY = Histogram(
    "django_http_requests_latency_seconds_by_view_method",
    "Histogram of request processing time (the whole middleware stack) by view, method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 75.0),
)
_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"))
_children: dict[tuple, tuple] = {}  # (status, view, method) -> the two labelled series, per process


def _observe(request, status: int, duration: float) -> None:
    match = getattr(request, "resolver_match", None)
    view = (match.view_name if match is not None else None) or "<unnamed view>"
    method = request.method if request.method in _METHODS else "<invalid method>"
    key = (status, view, method)
    series = _children.get(key)
    if series is None:
        series = _children[key] = (RESPONSES.labels(str(status), view, method), LATENCY.labels(view, method))
    series[0].inc()
    series[1].observe(duration)


def _request_id_from(request) -> str:
    candidate = request.headers.get("X-Request-ID", "")
    return candidate if _SANE_REQUEST_ID.match(candidate) else str(uuid.uuid4())


class RequestContextMiddleware:
    """Gives every request an id (the caller's if sane), times it and logs it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request_id = _request_id_from(request)
        request.request_id = request_id
        id_token = set_request_id(request_id)
        user_token = set_user_id(None)
        try:
            response = self.get_response(request)
            duration = time.perf_counter() - started
            response["X-Request-ID"] = request_id
            response["X-Process-Time"] = f"{duration:.4f}"
            if settings.ENABLE_METRICS:
                _observe(request, response.status_code, duration)
            user = getattr(request, "user", None)
            user_id = str(user.pk) if user is not None and getattr(user, "is_authenticated", False) else None
            set_user_id(user_id)
            fields = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 2),
            }
            if duration > settings.SLOW_REQUEST_SECONDS:
                logger.warning("slow request", extra=fields)
            else:
                logger.info("request", extra=fields)
            return response
        finally:
            set_request_id(None)
            set_user_id(None)
            del id_token, user_token
