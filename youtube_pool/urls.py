from django.urls import re_path

from . import views

# The OAuth callback, staff's authorize and the capacity page are publishing workflows (they bind
# channels): they are served by videos.publishing. The pool serves only its SANDBOX consent page.
urlpatterns = [
    re_path(r"^youtube/sandbox/consent/?$", views.SandboxConsentView.as_view(), name="youtube-sandbox-consent"),
]
