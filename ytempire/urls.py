from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from ytempire.core import views as core_views

api_v1 = [
    re_path(r"^health/?$", core_views.HealthView.as_view(), name="health-v1"),
    re_path(r"^health/detailed/?$", core_views.HealthDetailedView.as_view(), name="health-detailed"),
    re_path(r"^metrics/?$", core_views.metrics_view, name="metrics"),
    path("openapi.json", SpectacularAPIView.as_view(), name="openapi-schema"),
    re_path(r"^docs/?$", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="swagger-ui"),
    path("auth/", include("accounts.urls")),
    path("", include("channels.urls")),
    path("", include("videos.urls")),
    path("", include("costs.urls")),
    path("", include("youtube_pool.urls")),
    path("", include("webhooks.urls")),
]

urlpatterns = [
    path("", core_views.RootView.as_view(), name="root"),
    re_path(r"^health/?$", core_views.RootHealthView.as_view(), name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
]

handler404 = "ytempire.core.views.not_found"
handler500 = "ytempire.core.views.server_error"
