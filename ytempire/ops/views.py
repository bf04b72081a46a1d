"""Root, health, metrics and the API's own documentation: the platform's own entrances."""

import functools
import json

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ytempire.core.exceptions import PermissionDeniedError
from ytempire.core.openapi import DetailErrorSchema

from .health import health_detailed
from .metrics import exposition

TAGS = ["Health"]

_ROOT = inline_serializer(
    "Root",
    {
        "service": serializers.CharField(help_text='"YTEMPIRE API"'),
        "version": serializers.CharField(),
        "status": serializers.ChoiceField(choices=["operational"]),
    },
)
_LIVENESS = inline_serializer(
    "Liveness",
    {
        "status": serializers.ChoiceField(choices=["healthy"]),
        "service": serializers.CharField(),
        "version": serializers.CharField(),
    },
)
_COMPONENTS = inline_serializer(
    "HealthComponents",
    {
        "database": serializers.CharField(help_text='"healthy" or "unhealthy: <error>"'),
        "redis": serializers.CharField(help_text='"healthy", "unhealthy: <error>" or "not configured (...)"'),
        "youtube_accounts": serializers.CharField(help_text='"N/15 active" (active and reserve accounts)'),
        "broker": serializers.CharField(),
    },
)
_HEALTH_DETAILED = inline_serializer(
    "HealthDetailed",
    {
        "status": serializers.ChoiceField(choices=["healthy", "degraded", "unhealthy"]),
        "components": _COMPONENTS,
        "service": serializers.CharField(),
        "version": serializers.CharField(),
        "environment": serializers.CharField(),
        "checks": serializers.DictField(help_text="Per-check detail: database, cache, broker."),
        "youtube_accounts": serializers.DictField(),
        "providers": serializers.DictField(child=serializers.CharField()),
        "sandbox": serializers.BooleanField(),
    },
)


def service_name() -> str:
    return f"{settings.PROJECT_NAME} API"


class IgnoreClientContentNegotiation(BaseContentNegotiation):
    """The view's first renderer whatever the Accept header says (a browser asks for HTML)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


class RootView(_PublicView):
    @extend_schema(responses=_ROOT, tags=TAGS, operation_id="root")
    def get(self, request):
        return Response({"service": service_name(), "version": settings.VERSION, "status": "operational"})


@functools.cache
def _liveness_body() -> bytes:
    return json.dumps(
        {"status": "healthy", "service": service_name(), "version": settings.VERSION}, separators=(",", ":")
    ).encode()


class HealthView(_PublicView):
    """Cheap liveness: touches nothing but the process. Load balancers poll it, so a GET (or HEAD)
    answers its constant body without DRF's request handling; other methods get DRF's 405."""

    def dispatch(self, request, *args, **kwargs):
        if request.method in ("GET", "HEAD"):
            response = HttpResponse(_liveness_body(), content_type="application/json")
            response["Vary"] = "Accept"
            response["Allow"] = "GET, HEAD, OPTIONS"
            return response
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(responses=_LIVENESS, tags=TAGS, operation_id="health_v1")
    def get(self, request):  # documents the answer; dispatch serves it
        return Response({"status": "healthy", "service": service_name(), "version": settings.VERSION})


class RootHealthView(HealthView):
    """``/health`` for load balancers: the same answer as /api/v1/health."""

    @extend_schema(responses=_LIVENESS, tags=TAGS, operation_id="health")
    def get(self, request):
        return super().get(request)


class HealthDetailedView(_PublicView):
    """Database, cache, broker, YouTube pool and providers; 503 when the database is down."""

    @extend_schema(
        responses={200: _HEALTH_DETAILED, 503: OpenApiResponse(_HEALTH_DETAILED, description="Database down")},
        tags=TAGS,
        operation_id="health_detailed",
    )
    def get(self, request):
        report, healthy = health_detailed()
        return Response(report, status=200 if healthy else 503)


class MetricsView(_PublicView):
    """Prometheus exposition, open to staff sessions (the admin's) and the configured addresses only.

    The business gauges read at this scrape and the web processes' events (summed over every gunicorn
    worker in multiprocess mode): ytempire.ops.metrics.exposition."""

    authentication_classes = [SessionAuthentication]  # the admin's session; never a 401, only 403
    content_negotiation_class = IgnoreClientContentNegotiation

    @extend_schema(
        summary="Prometheus metrics (text exposition format)",
        description=(
            "Open to METRICS_ALLOWED_IPS and to staff signed in to the admin; 403 otherwise. Business gauges "
            "(spend, holds, videos by status, quota, accounts) are read at each scrape; event histograms and "
            "counters are summed over the web processes. The Celery worker serves its own on WORKER_METRICS_PORT."
        ),
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="Prometheus text format"),
            403: OpenApiResponse(DetailErrorSchema, description="Forbidden"),
        },
        tags=TAGS,
        operation_id="metrics",
    )
    def get(self, request):
        user = request.user
        allowed = request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS or (
            user.is_authenticated and user.is_staff
        )
        if not settings.ENABLE_METRICS or not allowed:
            raise PermissionDeniedError("Forbidden")
        body, content_type = exposition()
        return HttpResponse(body, content_type=content_type)


class OpenApiJSONView(SpectacularJSONAPIView):
    """The schema as JSON, whatever the Accept header (a browser would otherwise get YAML or a 406)."""

    content_negotiation_class = IgnoreClientContentNegotiation
