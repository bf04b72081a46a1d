"""The OpenAPI contract's shared pieces: the Appendix C error bodies, the statuses the framework
itself answers on every operation, strict request bodies and money.

The schema is the source of truth for clients, so what the project's own machinery can answer
is documented by the machinery, not remembered per view:

- every operation that authenticates can answer 401, every throttled one 429;
- every operation that reads a JSON body can answer 400 (malformed, too deep, NUL) and 415;
- every operation with query parameters can answer 400;
- a ``StrictInputSerializer`` body is ``additionalProperties: false`` (unknown fields are a 400);
- a ``MoneyField`` is a JSON number with at most 4 decimals.
"""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication

from .serializers import DATE_RANGE_MESSAGE, YEAR_PATTERN, StrictInputSerializer


class _FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


ValidationErrorSchema = inline_serializer(
    "ValidationError",
    {"detail": serializers.CharField(default="Invalid request parameters"), "errors": _FieldErrorSerializer(many=True)},
)
DetailErrorSchema = inline_serializer("DetailError", {"detail": serializers.CharField()})
UnauthorizedErrorSchema = inline_serializer(
    "UnauthorizedError",
    {
        "detail": serializers.ChoiceField(choices=["Could not validate credentials"]),
        "code": serializers.CharField(
            help_text="Why: not_authenticated, token_expired, token_invalid, token_revoked, token_reused, "
            "user_inactive, invalid_login, signature_invalid, ..."
        ),
    },
)
RateLimitErrorSchema = inline_serializer(
    "RateLimitError", {"detail": serializers.CharField(), "retry_after": serializers.IntegerField()}
)

_BY_STATUS = {
    400: OpenApiResponse(ValidationErrorSchema, description="Invalid request parameters"),
    401: OpenApiResponse(UnauthorizedErrorSchema, description="Could not validate credentials"),
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


DATE_SCHEMA = {"type": "string", "format": "date", "pattern": YEAR_PATTERN}
DATETIME_SCHEMA = {"type": "string", "format": "date-time", "pattern": YEAR_PATTERN}


def date_parameter(name: str, description: str = "") -> OpenApiParameter:
    """A ``YYYY-MM-DD`` query parameter read with ``BoundedDateField``, documented with its range."""
    return OpenApiParameter(
        name, DATE_SCHEMA, OpenApiParameter.QUERY, description=f"{description} {DATE_RANGE_MESSAGE}"
    )


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema plus the error statuses the framework answers (module doc).

    A view that reads its raw body itself (webhooks: the signature covers the exact bytes) sets
    ``raw_body = True``: it answers no 415, and documents its own 400."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        codes = set()
        # A bad Authorization header is a 401 even where anyone may call; a session alone never is one.
        if any(not issubclass(auth, SessionAuthentication) for auth in self.view.authentication_classes):
            codes.add(401)
        if self.view.throttle_classes:
            codes.add(429)
        if operation.get("requestBody") and getattr(self.view, "raw_body", False):
            operation["requestBody"]["required"] = True  # an empty delivery is malformed JSON: a 400
        elif operation.get("requestBody"):
            codes |= {400, 415}
        if any(param.get("in") == "query" for param in operation.get("parameters", [])):
            codes.add(400)
        for param in operation.get("parameters", []):
            # A list parameter (ordering) names at least one item: ``?ordering=`` is refused (400).
            if param.get("in") == "query" and param.get("schema", {}).get("type") == "array":
                param["schema"].setdefault("minItems", 1)
        for code in sorted(codes):
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(_BY_STATUS[code], str(code))
        operation["responses"] = dict(sorted(responses.items()))
        return operation


class StrictInputSerializerExtension(OpenApiSerializerExtension):
    """A StrictInputSerializer refuses unknown fields, so its schema does too."""

    target_class = "ytempire.core.serializers.StrictInputSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        if schema.get("description") == get_doc(StrictInputSerializer):  # the base's, not the body's
            del schema["description"]
        for name, field in self.target.fields.items():
            prop = schema.get("properties", {}).get(name)
            if isinstance(field, serializers.ListField) and prop and isinstance(prop.get("items"), dict):
                field, prop = field.child, prop["items"]
            if prop is not None and _needs_a_visible_character(field, prop):
                prop["pattern"] = NOT_ONLY_WHITESPACE
        return schema


# DRF trims text (Python's str.strip) before it checks that it is not blank: "   " is refused like "".
# The pattern names Python's whitespace explicitly: ECMA's \s (what clients and fuzzers read) differs
# (it lacks \x1c-\x1f and \x85, and has \ufeff), so "\x1c" would be valid by \S yet blank here.
NOT_ONLY_WHITESPACE = r"[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def _needs_a_visible_character(field, prop: dict) -> bool:
    return (
        isinstance(field, serializers.CharField)
        and field.trim_whitespace
        and not field.allow_blank
        and prop.get("type") == "string"
        and "pattern" not in prop
        and "format" not in prop
        and "enum" not in prop
    )


class MoneyFieldExtension(OpenApiSerializerFieldExtension):
    """US dollars: a JSON number with at most 4 decimal places in every response; a request may
    also send a plain decimal string (rounded half-up to 4 places)."""

    target_class = "ytempire.core.serializers.MoneyField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        number = {"type": "number", "multipleOf": 0.0001}
        whole_digits = field.max_digits - field.decimal_places
        number["maximum"] = 10**whole_digits
        number["exclusiveMaximum"] = True
        if field.min_value is not None:
            number["minimum"] = int(field.min_value) if field.min_value == int(field.min_value) else field.min_value
        else:
            number["minimum"] = -(10**whole_digits)
            number["exclusiveMinimum"] = True
        if direction == "response":
            schema = {**number, "description": "US dollars, at most 4 decimal places."}
        else:
            sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
            text = {"type": "string", "pattern": f"^{sign}[0-9]{{1,{whole_digits}}}(\\.[0-9]{{1,20}})?$"}
            schema = {
                "oneOf": [number, text],
                "description": "US dollars: a JSON number (or a decimal string), rounded to 4 decimal places.",
            }
        if field.allow_null:
            schema["nullable"] = True
        return schema


class BoundedDateFieldExtension(OpenApiSerializerFieldExtension):
    """A date (or datetime) dated 1970..2999: the year range is part of the schema (YEAR_PATTERN)."""

    target_class = "ytempire.core.serializers.BoundedDateField"

    def map_serializer_field(self, auto_schema, direction):
        return dict(DATE_SCHEMA)


class BoundedDateTimeFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "ytempire.core.serializers.BoundedDateTimeField"

    def map_serializer_field(self, auto_schema, direction):
        return dict(DATETIME_SCHEMA)
