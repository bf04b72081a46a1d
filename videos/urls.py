from django.urls import re_path
from rest_framework.routers import SimpleRouter

from .publishing import views as publishing
from .views import VideoViewSet

router = SimpleRouter()
# Paths work with and without a trailing slash (SimpleRouter only takes True/False).
router.trailing_slash = "/?"
router.register("videos", VideoViewSet, basename="video")

CHANNEL = r"^channels/(?P<channel_id>[^/]+)/youtube"
urlpatterns = [
    *router.urls,
    re_path(rf"{CHANNEL}/connect/?$", publishing.ChannelYouTubeConnectView.as_view(), name="channel-youtube-connect"),
    re_path(
        rf"{CHANNEL}/disconnect/?$",
        publishing.ChannelYouTubeDisconnectView.as_view(),
        name="channel-youtube-disconnect",
    ),
    re_path(
        r"^youtube/oauth/authorize/?$", publishing.YouTubeOAuthAuthorizeView.as_view(), name="youtube-oauth-authorize"
    ),
    re_path(
        r"^youtube/oauth/callback/?$", publishing.YouTubeOAuthCallbackView.as_view(), name="youtube-oauth-callback"
    ),
    re_path(r"^youtube/capacity/?$", publishing.YouTubeCapacityView.as_view(), name="youtube-capacity"),
]
