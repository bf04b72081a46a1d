"""The pool's one HTTP page: the SANDBOX consent screen, standing in for Google's when the project is
a sandbox (``make run``). The OAuth callback, staff's authorize and the capacity page bind channels,
so they are served by ``videos.publishing``."""

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views import View

from . import services
from .exceptions import OAuthStateError


class SandboxConsentView(View):
    """SANDBOX stand-in for Google's consent screen (sandbox projects only, ``make run``): "Allow"
    sends the browser to the OAuth callback with a signed sandbox code, "Deny" with
    ``error=access_denied``. An unknown, expired or used state gets a 400 page."""

    template_name = "youtube_pool/sandbox_consent.html"
    http_method_names = ["get", "post"]

    def get(self, request):
        state = request.GET.get("state", "")
        try:
            details = services.sandbox_consent_get(state=state)
        except OAuthStateError as exc:
            return render(request, self.template_name, {"error": exc.message}, status=400)
        return render(request, self.template_name, {"state": state, **details})

    def post(self, request):
        state = request.POST.get("state", "")
        try:
            url = services.sandbox_consent_answer(state=state, allow=request.POST.get("decision") == "allow")
        except OAuthStateError as exc:
            return render(request, self.template_name, {"error": exc.message}, status=400)
        return HttpResponseRedirect(url)
