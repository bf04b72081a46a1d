"""Costs API: summary, daily rows, one video's ledger, estimate. Thin: validate, select, render."""

from datetime import timedelta
from uuid import UUID

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from costs import selectors
from costs.serializers import (
    CostDailyOutputSerializer,
    CostDailyQueryInputSerializer,
    CostEstimateOutputSerializer,
    CostEstimateQueryInputSerializer,
    CostSummaryOutputSerializer,
    CostSummaryQueryInputSerializer,
    VideoCostLedgerOutputSerializer,
    VideoCostOutputSerializer,
)
from costs.services import budget_date_for, estimate_video_cost
from ytempire.core.exceptions import NotFoundError
from ytempire.core.openapi import error_responses
from ytempire.core.pagination import PageLimitPagination

TAGS = ["Costs"]


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CostSummaryView(APIView):
    @extend_schema(
        summary="Today's cost summary (your videos; the platform for role admin)",
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="Budget day, default today")],
        responses={200: CostSummaryOutputSerializer, **error_responses(400, 401, 429)},
        tags=TAGS,
    )
    def get(self, request):
        query = _query(CostSummaryQueryInputSerializer, request)
        summary = selectors.cost_summary(user=request.user, day=query.get("date"))
        return Response(CostSummaryOutputSerializer(summary).data)


class CostDailyView(APIView):
    @extend_schema(
        summary="A row per budget day with totals by service and the number of videos",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (inclusive), default 6 days ago"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive), default today"),
        ],
        responses={200: CostDailyOutputSerializer, **error_responses(400, 401, 429)},
        tags=TAGS,
    )
    def get(self, request):
        query = _query(CostDailyQueryInputSerializer, request)
        end = query.get("to") or (query["from"] + timedelta(days=6) if query.get("from") else budget_date_for())
        start = query.get("from") or end - timedelta(days=6)
        CostDailyQueryInputSerializer(data={"from": start.isoformat(), "to": end.isoformat()}).is_valid(
            raise_exception=True
        )
        rows = selectors.cost_daily(user=request.user, date_from=start, date_to=end)
        payload = {"from": start, "to": end, "total_cost": sum(r["total_cost"] for r in rows), "items": rows}
        return Response(CostDailyOutputSerializer(payload).data)


class VideoCostLedgerView(APIView):
    @extend_schema(
        summary="The ledger rows of one video (its owner or role admin; others get 404)",
        responses={200: VideoCostLedgerOutputSerializer, **error_responses(400, 401, 404, 429)},
        tags=TAGS,
    )
    def get(self, request, video_id: str):
        try:
            pk = UUID(video_id)
        except ValueError:
            raise NotFoundError(selectors.VIDEO_NOT_FOUND) from None
        video = selectors.cost_video_get(user=request.user, video_id=pk)
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(selectors.cost_video_ledger(video=video), request, view=self)
        body = paginator.get_paginated_response(VideoCostOutputSerializer(page, many=True).data).data
        return Response(
            {
                "video_id": str(video.pk),
                "status": video.status,
                "total_cost": VideoCostLedgerOutputSerializer()
                .fields["total_cost"]
                .to_representation(video.total_cost),
                "cost_breakdown": video.cost_breakdown,
                **body,
            }
        )


class CostEstimateView(APIView):
    @extend_schema(
        summary="Pessimistic upper-bound cost of one video at an optimization level",
        parameters=[
            OpenApiParameter("optimization_level", OpenApiTypes.STR, enum=["economy", "standard", "premium"]),
        ],
        responses={200: CostEstimateOutputSerializer, **error_responses(400, 401, 429)},
        tags=TAGS,
    )
    def get(self, request):
        query = _query(CostEstimateQueryInputSerializer, request)
        estimate = estimate_video_cost(level=query["optimization_level"])
        payload = {
            "optimization_level": estimate.level,
            "total": estimate.total,
            "breakdown": estimate.breakdown,
            "config": estimate.config,
            "max_cost_per_video": settings.MAX_COST_PER_VIDEO,
        }
        return Response(CostEstimateOutputSerializer(payload).data)
