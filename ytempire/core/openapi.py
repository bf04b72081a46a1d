"""Shared OpenAPI pieces: the Appendix C error bodies, referenced by every endpoint."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers


class _FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


ValidationErrorSchema = inline_serializer(
    "ValidationError",
    {"detail": serializers.CharField(default="Invalid request parameters"), "errors": _FieldErrorSerializer(many=True)},
)
DetailErrorSchema = inline_serializer("DetailError", {"detail": serializers.CharField()})
RateLimitErrorSchema = inline_serializer(
    "RateLimitError", {"detail": serializers.CharField(), "retry_after": serializers.IntegerField()}
)

_BY_STATUS = {
    400: OpenApiResponse(ValidationErrorSchema, description="Invalid request parameters"),
    401: OpenApiResponse(DetailErrorSchema, description="Could not validate credentials"),
    403: OpenApiResponse(DetailErrorSchema, description="Forbidden"),
    404: OpenApiResponse(DetailErrorSchema, description="Not found"),
    409: OpenApiResponse(DetailErrorSchema, description="Conflict"),
    413: OpenApiResponse(DetailErrorSchema, description="Payload too large"),
    415: OpenApiResponse(DetailErrorSchema, description="Unsupported media type"),
    422: OpenApiResponse(DetailErrorSchema, description="Unprocessable"),
    429: OpenApiResponse(RateLimitErrorSchema, description="Rate limit exceeded"),
    502: OpenApiResponse(DetailErrorSchema, description="Upstream provider refused the request"),
    503: OpenApiResponse(DetailErrorSchema, description="Service unavailable"),
}


def error_responses(*codes: int) -> dict:
    """``{status: OpenApiResponse}`` for the given error statuses, to spread into ``responses``."""
    return {code: _BY_STATUS[code] for code in codes}
