"""Request id, timing headers and one structured log line per request."""

import logging
import re
import time
import uuid

from django.conf import settings

from .request_context import set_request_id, set_user_id

logger = logging.getLogger("ytempire.request")
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


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
