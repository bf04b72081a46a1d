"""The JSON 404/500 handlers (the project's handler404/handler500, and the /api/ catch-all)."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .request_context import get_request_id


@csrf_exempt  # also routed for every unknown /api/ path and method: a 404, never a CSRF page
def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found"}, status=404)


def server_error(request):
    return JsonResponse({"detail": "Internal server error", "request_id": get_request_id()}, status=500)
