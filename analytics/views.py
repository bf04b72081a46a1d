"""Analytics API: the caller's channels (the platform for role admin). Thin: validate, select, render."""

import random

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ytempire.core.openapi import date_parameter, error_responses
from ytempire.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageLimitPagination
from ytempire.core.serializers import validated_query

from . import selectors
from .serializers import (
    MAX_RANGE_DAYS,
    AnalyticsChannelOutputSerializer,
    AnalyticsOverviewOutputSerializer,
    AnalyticsRangeQueryInputSerializer,
    AnalyticsVideoListOutputSerializer,
    AnalyticsVideoOutputSerializer,
    AnalyticsVideosQueryInputSerializer,
)

TAGS = ["Analytics"]
RANGE = [
    date_parameter(
        "from",
        f"First UTC day (inclusive); default 29 days before 'to'. On or before 'to', at most {MAX_RANGE_DAYS} "
        "days in all (else a 400).",
    ),
    date_parameter("to", "Last UTC day (inclusive); default today."),
]


def overview_cache_timeout(seconds: int) -> float:
    """How long one overview is kept: at most ``seconds``, at least three quarters of it, at random.
    Callers whose answers were computed together (a deploy, a flush, a morning's first loads) then
    do not all miss in the same instant ``seconds`` later, each costing a full computation."""
    return seconds * random.uniform(0.75, 1.0)  # noqa: S311 - spreading expiries, not a secret


class AnalyticsOverviewView(APIView):
    @extend_schema(
        summary="The operations dashboard's numbers (your channels; the platform for role admin)",
        description=(
            "Today (UTC day), money (budget days), capacity (Google projects and accounts; the next "
            "Pacific-midnight reset) and the series of the dashboard's charts. The admin dashboard reads "
            "the same selector, so the two never disagree. Past days come from daily rollups. The answer "
            "is kept up to ANALYTICS_OVERVIEW_CACHE_SECONDS (default 15) per caller and range: generated_at "
            "says when it was computed."
        ),
        parameters=RANGE,
        responses={200: AnalyticsOverviewOutputSerializer, **error_responses(400, 401, 429)},
        tags=TAGS,
    )
    def get(self, request):
        query = validated_query(AnalyticsRangeQueryInputSerializer, request)
        seconds = int(settings.ANALYTICS_OVERVIEW_CACHE_SECONDS)
        user = request.user
        scope = "platform" if user.is_platform_admin else f"user:{user.pk}"
        key = f"analytics:overview:v1:{scope}:{query.get('from')}:{query.get('to')}:{timezone.now().date()}"
        data = cache.get(key) if seconds > 0 else None
        if data is None:
            overview = selectors.operations_overview(user=user, date_from=query.get("from"), date_to=query.get("to"))
            data = dict(AnalyticsOverviewOutputSerializer(overview).data)
            if seconds > 0:
                cache.set(key, data, timeout=overview_cache_timeout(seconds))
        return Response(data)


class AnalyticsChannelView(APIView):
    @extend_schema(
        summary="One channel's daily views, subscribers, videos, spend and revenue, with totals and ROI",
        description=(
            "Revenue is null while the channel has not authorised revenue reads "
            "(yt-analytics-monetary.readonly), never 0. Another user's channel is a 404."
        ),
        parameters=RANGE,
        responses={200: AnalyticsChannelOutputSerializer, **error_responses(400, 401, 404, 429)},
        tags=TAGS,
        examples=[
            OpenApiExample(
                "A week",
                response_only=True,
                value={
                    "channel": {
                        "id": "0b8f2f0e-6d8c-4c59-9a39-2f0f4c6f3a10",
                        "name": "Tech Daily",
                        "youtube_channel_id": "UCabcdefghijklmnopqrstuv",
                        "total_views": 120500,
                        "total_subscribers": 3400,
                        "total_revenue": 412.37,
                        "revenue_authorised": True,
                        "stats_synced_at": "2026-11-29T09:00:12Z",
                    },
                    "from": "2026-11-23",
                    "to": "2026-11-29",
                    "timezones": {"days": "UTC", "spend": "UTC", "revenue": "America/Los_Angeles"},
                    "days": [
                        {
                            "date": "2026-11-23",
                            "views": 1800,
                            "subscribers": 3390,
                            "published": 4,
                            "spend": 3.21,
                            "revenue": 5.4,
                            "cost_per_1k_views": 1.7833,
                        }
                    ],
                    "totals": {
                        "views": 1800,
                        "published": 4,
                        "spend": 3.21,
                        "revenue": 5.4,
                        "cost_per_1k_views": 1.7833,
                        "roi": 2.19,
                    },
                },
            )
        ],
    )
    def get(self, request, channel_id: str):
        query = validated_query(AnalyticsRangeQueryInputSerializer, request)
        analytics = selectors.channel_analytics(
            user=request.user, channel_id=channel_id, date_from=query.get("from"), date_to=query.get("to")
        )
        return Response(AnalyticsChannelOutputSerializer(analytics).data)


class AnalyticsVideosView(APIView):
    @extend_schema(
        summary="Top videos published in the range: by views, by cost per view (cheapest first) or by revenue",
        parameters=[
            *RANGE,
            OpenApiParameter(
                "order",
                OpenApiTypes.STR,
                enum=list(selectors.VIDEO_ORDERS),
                description="views: most first; cost_per_view: cheapest first (no views last); revenue: most first "
                "(not authorised last). Default views.",
            ),
            OpenApiParameter("page", {"type": "integer", "minimum": 1}, OpenApiParameter.QUERY, description="From 1."),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                OpenApiParameter.QUERY,
                description="Items per page.",
            ),
        ],
        responses={200: AnalyticsVideoListOutputSerializer, **error_responses(400, 401, 429)},
        tags=TAGS,
    )
    def get(self, request):
        query = validated_query(AnalyticsVideosQueryInputSerializer, request)
        videos = selectors.video_top_list(
            user=request.user, order=query["order"], date_from=query.get("from"), date_to=query.get("to")
        )
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(videos, request, view=self)
        return paginator.get_paginated_response(AnalyticsVideoOutputSerializer(page, many=True).data)
