"""Root, health and metrics endpoints, and the JSON 404/500 handlers."""

from django.conf import settings
from django.http import HttpResponseForbidden, JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .health import health_detailed
from .request_context import get_request_id

_LIVENESS = inline_serializer(
    "Liveness",
    {"service": serializers.CharField(), "version": serializers.CharField(), "status": serializers.CharField()},
)


class _PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


class RootView(_PublicView):
    @extend_schema(responses=_LIVENESS, tags=["Health"])
    def get(self, request):
        return Response({"service": settings.PROJECT_NAME, "version": settings.VERSION, "status": "ok"})


class HealthView(_PublicView):
    """Cheap liveness: touches nothing but the process."""

    @extend_schema(responses=_LIVENESS, tags=["Health"])
    def get(self, request):
        return Response({"service": settings.PROJECT_NAME, "version": settings.VERSION, "status": "healthy"})


class RootHealthView(HealthView):
    """``/health`` for load balancers; documented once, as /api/v1/health."""

    schema = None


class HealthDetailedView(_PublicView):
    """Database, cache, broker, YouTube pool and providers; 503 when the database is down."""

    @extend_schema(
        responses={200: inline_serializer("HealthDetailed", {"status": serializers.CharField()}), 503: None},
        tags=["Health"],
    )
    def get(self, request):
        report, healthy = health_detailed()
        return Response(report, status=200 if healthy else 503)


def metrics_view(request):
    """Prometheus exposition, open to staff sessions and to the configured addresses only."""
    from django_prometheus.exports import ExportToDjangoView

    user = getattr(request, "user", None)
    allowed = request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS or (
        user is not None and user.is_authenticated and user.is_staff
    )
    if not settings.ENABLE_METRICS or not allowed:
        return HttpResponseForbidden('{"detail": "Forbidden"}', content_type="application/json")
    return ExportToDjangoView(request)


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found"}, status=404)


def server_error(request):
    return JsonResponse({"detail": "Internal server error", "request_id": get_request_id()}, status=500)
