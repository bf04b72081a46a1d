from rest_framework.routers import SimpleRouter

from .views import ChannelViewSet

router = SimpleRouter()
# Paths work with and without a trailing slash (SimpleRouter only takes True/False).
router.trailing_slash = "/?"
router.register("channels", ChannelViewSet, basename="channel")

urlpatterns = router.urls
