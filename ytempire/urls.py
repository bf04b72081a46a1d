from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from ytempire.core.views import not_found
from ytempire.ops import views as ops_views

api_v1 = [
    re_path(r"^health/?$", ops_views.HealthView.as_view(), name="health-v1"),
    re_path(r"^health/detailed/?$", ops_views.HealthDetailedView.as_view(), name="health-detailed"),
    re_path(r"^metrics/?$", ops_views.MetricsView.as_view(), name="metrics"),
    path("openapi.json", ops_views.OpenApiJSONView.as_view(), name="openapi-schema"),
    re_path(r"^docs/?$", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="swagger-ui"),
    re_path(r"^redoc/?$", SpectacularRedocView.as_view(url_name="openapi-schema"), name="redoc"),
    path("auth/", include("accounts.urls")),
    path("", include("channels.urls")),
    path("", include("videos.urls")),
    path("", include("costs.urls")),
    path("", include("youtube_pool.urls")),
    path("", include("webhooks.urls")),
    path("", include("billing.urls")),
    path("", include("analytics.urls")),
]

urlpatterns = [
    path("", ops_views.RootView.as_view(), name="root"),
    re_path(r"^health/?$", ops_views.RootHealthView.as_view(), name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # Anything else under /api/ is the JSON 404 even with DEBUG on (Django's debug page lists every route).
    re_path(r"^api/", not_found, name="api-not-found"),
]

handler404 = "ytempire.core.views.not_found"
handler500 = "ytempire.core.views.server_error"
