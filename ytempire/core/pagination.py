"""The seed's list shape: {"items", "total", "page", "pages", "limit"}, page>=1, limit 1..100."""

import math

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


def _positive_int(raw: str | None, *, field: str, default: int, maximum: int | None = None) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({field: ["Must be an integer."]}) from None
    if value < 1:
        raise ValidationError({field: ["Must be at least 1."]})
    if maximum is not None and value > maximum:
        raise ValidationError({field: [f"Must be at most {maximum}."]})
    return value


class PageLimitPagination(PageNumberPagination):
    page_query_param = "page"
    page_size_query_param = "limit"
    page_size = DEFAULT_LIMIT
    max_page_size = MAX_LIMIT

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_number = _positive_int(request.query_params.get("page"), field="page", default=1)
        self.limit = _positive_int(
            request.query_params.get("limit"), field="limit", default=DEFAULT_LIMIT, maximum=MAX_LIMIT
        )
        self.total = queryset.count()
        offset = (self.page_number - 1) * self.limit
        # A page past the end is an empty page, not an error: the frontend can show "no more".
        return list(queryset[offset : offset + self.limit]) if offset < self.total else []

    def get_paginated_response(self, data):
        return Response(
            {
                "items": data,
                "total": self.total,
                "page": self.page_number,
                "pages": math.ceil(self.total / self.limit) if self.total else 0,
                "limit": self.limit,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["items", "total", "page", "pages", "limit"],
            "properties": {
                "items": schema,
                "total": {"type": "integer"},
                "page": {"type": "integer"},
                "pages": {"type": "integer"},
                "limit": {"type": "integer"},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": "page", "required": False, "in": "query", "schema": {"type": "integer", "minimum": 1}},
            {
                "name": "limit",
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            },
        ]
