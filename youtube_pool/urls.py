from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^youtube/oauth/authorize/?$", views.YouTubeOAuthAuthorizeView.as_view(), name="youtube-oauth-authorize"),
    re_path(r"^youtube/oauth/callback/?$", views.YouTubeOAuthCallbackView.as_view(), name="youtube-oauth-callback"),
    re_path(r"^youtube/capacity/?$", views.YouTubeCapacityView.as_view(), name="youtube-capacity"),
]
