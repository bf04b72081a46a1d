from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^analytics/overview/?$", views.AnalyticsOverviewView.as_view(), name="analytics-overview"),
    re_path(
        r"^analytics/channels/(?P<channel_id>[^/]+)/?$", views.AnalyticsChannelView.as_view(), name="analytics-channel"
    ),
    re_path(r"^analytics/videos/?$", views.AnalyticsVideosView.as_view(), name="analytics-videos"),
]
