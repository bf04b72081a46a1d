from django.urls import re_path

from costs import views

urlpatterns = [
    re_path(r"^costs/summary/?$", views.CostSummaryView.as_view(), name="costs-summary"),
    re_path(r"^costs/daily/?$", views.CostDailyView.as_view(), name="costs-daily"),
    re_path(r"^costs/estimate/?$", views.CostEstimateView.as_view(), name="costs-estimate"),
    re_path(r"^costs/videos/(?P<video_id>[^/]+)/?$", views.VideoCostLedgerView.as_view(), name="costs-video"),
]
