"""The seed's list shape: {"items", "total", "page", "pages", "limit"}, page>=1, limit 1..100."""

import math

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
MAX_SQL_OFFSET = 2**63 - 1  # PostgreSQL's OFFSET/LIMIT are bigints


def _positive_int(raw: str | None, *, field: str, default: int, maximum: int | None = None) -> int:
    if raw is None:
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


class LeanPageLimitPagination(PageLimitPagination):
    """The same contract, without the ``COUNT(*)`` when the page itself tells the total.

    The page is read first. A page shorter than ``limit`` that has rows, or the first page,
    is the end of the list: ``total`` is the rows before it plus its own, exactly what the
    count would say (most callers' lists fit one page: a customer's channels, a channel's
    videos at limit 100). Only a full page, or an empty page past the first, costs the count.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_number = _positive_int(request.query_params.get("page"), field="page", default=1)
        self.limit = _positive_int(
            request.query_params.get("limit"), field="limit", default=DEFAULT_LIMIT, maximum=MAX_LIMIT
        )
        offset = (self.page_number - 1) * self.limit
        if offset + self.limit > MAX_SQL_OFFSET:  # past the end of any list, and past a bigint OFFSET
            self.total = queryset.count()
            return []
        page = list(queryset[offset : offset + self.limit])
        if len(page) < self.limit and (page or offset == 0):
            self.total = offset + len(page)
        else:
            self.total = queryset.count()
        return page
