"""One DRF exception handler that renders every error in the seed's Appendix C shapes.

- 400: ``{"detail", "errors": [{"field", "message"}]}`` always (an error about the request as a
  whole names the field ``body``);
- 401: ``{"detail": "Could not validate credentials", "code"}`` always: the reason is the
  machine-readable ``code`` (``not_authenticated``, ``token_expired``, ``token_revoked``,
  ``token_reused``, ...) and the log line, never a different sentence;
- 429: ``{"detail": "Rate limit exceeded", "retry_after"}`` and the Retry-After header;
- 500: ``{"detail": "Internal server error", "request_id"}``, logged with the traceback.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from .exceptions import ApplicationError
from .request_context import get_request_id

logger = logging.getLogger("ytempire.errors")

INVALID_PARAMETERS = "Invalid request parameters"
BAD_CREDENTIALS = "Could not validate credentials"
# simplejwt's generic code, renamed to read like the others.
_AUTH_CODE_ALIASES = {"token_not_valid": "token_invalid", "authentication_failed": "invalid_credentials"}


def flatten_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error detail into ``[{"field", "message"}]``."""
    errors: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = str(key)
            if name in ("non_field_errors", "__all__"):
                name = ""
            field = f"{prefix}.{name}" if prefix and name else (prefix or name)
            errors.extend(flatten_errors(value, field))
    elif isinstance(detail, (list, tuple)):
        if all(not isinstance(item, (dict, list, tuple)) for item in detail):
            errors.extend({"field": prefix or "body", "message": str(item)} for item in detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    errors.extend(flatten_errors(item, f"{prefix}[{index}]" if prefix else f"[{index}]"))
    else:
        errors.append({"field": prefix or "body", "message": str(detail)})
    return errors


def validation_response(errors: list[dict[str, str]], status: int = 400) -> Response:
    return Response({"detail": INVALID_PARAMETERS, "errors": errors}, status=status)


def unauthorized_response(code: str, *, reason: str = "", bearer: bool = True) -> Response:
    """The one 401 body: the seed's sentence plus the machine-readable reason."""
    logger.info("authentication refused", extra={"code": code, "reason": reason})
    response = Response({"detail": BAD_CREDENTIALS, "code": code}, status=401)
    if bearer:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _drf_auth_code(exc: drf.APIException) -> str:
    if isinstance(exc, drf.NotAuthenticated):
        return "not_authenticated"
    detail = exc.detail
    if isinstance(detail, dict) and detail.get("code"):  # simplejwt keeps its code in the detail
        code = str(detail["code"])
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "invalid_credentials"
    return _AUTH_CODE_ALIASES.get(code, code)


def _application_error_response(exc: ApplicationError) -> Response:
    if exc.status_code == 401:
        code = getattr(exc, "code", None) or "invalid_credentials"
        return unauthorized_response(code, reason=exc.message, bearer=False)
    body = {"detail": exc.message, **exc.extra}
    if exc.status_code == 400 and not body.get("errors"):
        body["errors"] = [{"field": "body", "message": exc.message}]
    response = Response(body, status=exc.status_code)
    if "retry_after" in exc.extra:
        response["Retry-After"] = str(exc.extra["retry_after"])
    return response


def exception_handler(exc: Exception, context: dict) -> Response:
    if isinstance(exc, ApplicationError):
        return _application_error_response(exc)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        return validation_response(flatten_errors(detail))
    if isinstance(exc, Http404):
        message = str(exc) if exc.args and str(exc) else "Not found"
        return Response({"detail": message}, status=404)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": str(exc) or "Permission denied"}, status=403)
    if isinstance(exc, drf.ValidationError):
        return validation_response(flatten_errors(exc.detail))
    if isinstance(exc, drf.ParseError):
        return validation_response([{"field": "body", "message": f"Malformed request body: {exc.detail}"}])
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        detail = exc.detail.get("detail", "") if isinstance(exc.detail, dict) else exc.detail
        return unauthorized_response(_drf_auth_code(exc), reason=str(detail))
    if isinstance(exc, drf.Throttled):
        wait = max(1, int(exc.wait or 1))
        response = Response({"detail": "Rate limit exceeded", "retry_after": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
    if isinstance(exc, drf.APIException):
        detail = exc.detail
        if isinstance(detail, (list, dict)) or exc.status_code == 400:
            return validation_response(flatten_errors(detail), status=exc.status_code)
        return Response({"detail": str(detail)}, status=exc.status_code)
    logger.exception("Unhandled error", extra={"path": getattr(context.get("request"), "path", None)})
    return Response({"detail": "Internal server error", "request_id": get_request_id()}, status=500)
