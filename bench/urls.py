"""bench.urls: the application's URLconf plus the bench-only baselines (ytempire.settings.bench only)."""

from django.urls import path

from ytempire import urls as app_urls

from . import views

urlpatterns = [
    path("bench/b", views.baseline, name="bench-baseline"),
    path("bench/password-check", views.password_check, name="bench-password-check"),
    *app_urls.urlpatterns,
]

handler404 = app_urls.handler404
handler500 = app_urls.handler500
