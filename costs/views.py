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
    cost_summary_data,
    money_breakdown,
)
from costs.services import budget_date_for, estimate_video_cost
from ytempire.core.exceptions import NotFoundError
from ytempire.core.openapi import date_parameter, error_responses
from ytempire.core.pagination import PageLimitPagination
from ytempire.core.serializers import EARLIEST_DATE, LATEST_DATE, MoneyField, validated_query

TAGS = ["Costs"]


class CostSummaryView(APIView):
    @extend_schema(
        summary="Today's cost summary (your videos; the platform for role admin)",
        parameters=[date_parameter("date", "Budget day, default today.")],
        responses={200: CostSummaryOutputSerializer, **error_responses(400, 401, 429)},
        tags=TAGS,
    )
    def get(self, request):
        query = validated_query(CostSummaryQueryInputSerializer, request)
        summary = selectors.cost_summary(user=request.user, day=query.get("date"))
        return Response(cost_summary_data(summary))


class CostDailyView(APIView):
    @extend_schema(
        summary="A row per budget day with totals by service and the number of videos",
        parameters=[
            date_parameter("from", "First day (inclusive), default 6 days ago."),
            date_parameter("to", "Last day (inclusive), default today."),
        ],
        responses={200: CostDailyOutputSerializer, **error_responses(400, 401, 429)},
        tags=TAGS,
    )
    def get(self, request):
        query = validated_query(CostDailyQueryInputSerializer, request)
        # Defaults stay inside the supported dates, so a bound given alone never overflows.
        week = timedelta(days=6)
        end = query.get("to") or (min(query["from"] + week, LATEST_DATE) if query.get("from") else budget_date_for())
        start = query.get("from") or max(end - week, EARLIEST_DATE)
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
        money_field = MoneyField()
        return Response(
            {
                "video_id": str(video.pk),
                "status": video.status,
                "total_cost": money_field.to_representation(video.total_cost),
                "cost_breakdown": {
                    service: money_field.to_representation(amount)
                    for service, amount in money_breakdown(video.cost_breakdown).items()
                },
                **body,
            }
        )


class CostEstimateView(APIView):
    @extend_schema(
        summary="What one video at an optimization level is expected to cost, and on what basis",
        description=(
            "Per service, the p95 of what recent finished videos at the level really spent plus a margin "
            "(once there are COST_ESTIMATE_MIN_SAMPLES of them), else the rate table's upper bound. Holds "
            "are taken per call, so a video never spends past $3.00 whatever the estimate says."
        ),
        parameters=[
            OpenApiParameter("optimization_level", OpenApiTypes.STR, enum=["economy", "standard", "premium"]),
        ],
        responses={200: CostEstimateOutputSerializer, **error_responses(400, 401, 429)},
        tags=TAGS,
    )
    def get(self, request):
        query = validated_query(CostEstimateQueryInputSerializer, request)
        estimate = estimate_video_cost(level=query["optimization_level"])
        payload = {
            "optimization_level": estimate.level,
            "total": estimate.total,
            "breakdown": estimate.breakdown,
            "config": estimate.config,
            "basis": estimate.basis_label,
            "basis_by_service": estimate.basis,
            "samples": estimate.samples,
            "max_cost_per_video": settings.MAX_COST_PER_VIDEO,
        }
        return Response(CostEstimateOutputSerializer(payload).data)
