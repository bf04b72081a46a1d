from rest_framework.routers import SimpleRouter

from .views import VideoViewSet

router = SimpleRouter()
# Paths work with and without a trailing slash (SimpleRouter only takes True/False).
router.trailing_slash = "/?"
router.register("videos", VideoViewSet, basename="video")

urlpatterns = router.urls
