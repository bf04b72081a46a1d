"""A URLconf for tests: the real project's URLs plus a view that crashes."""

from django.urls import path
from rest_framework.views import APIView

from ytempire.core.exceptions import ApplicationError
from ytempire.urls import urlpatterns as project_urlpatterns


class BoomView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        raise RuntimeError("kaboom with password=hunter2 and Bearer abc.def.ghi")


class RefusedView(APIView):
    """A service's 400 without field errors, as youtube_pool's OAuth callback raises one."""

    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        raise ApplicationError("Invalid, expired or already used OAuth state")


def plain_boom(request):
    raise RuntimeError("plain django view failure")


urlpatterns = [
    path("boom", BoomView.as_view()),
    path("plain-boom", plain_boom),
    path("refused", RefusedView.as_view()),
    *project_urlpatterns,
]
handler404 = "ytempire.core.views.not_found"
handler500 = "ytempire.core.views.server_error"
