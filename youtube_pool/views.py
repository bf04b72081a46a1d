from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from ytempire.core.openapi import error_responses

from . import services
from .serializers import (
    CapacityOutputSerializer,
    OAuthAuthorizeInputSerializer,
    OAuthAuthorizeOutputSerializer,
    OAuthCallbackInputSerializer,
    OAuthCallbackOutputSerializer,
)


class YouTubeOAuthAuthorizeView(APIView):
    """Staff: start connecting a YouTube account (redirects to Google's consent screen)."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        tags=["YouTube"],
        operation_id="youtube_oauth_authorize",
        parameters=[
            OpenApiParameter("email", str, required=True, description="The Google account to connect (login_hint)"),
            OpenApiParameter("is_reserve", bool, required=False, description="A reserve account (cap 2 a day)"),
            OpenApiParameter("project", str, required=False, description="Google project id or name"),
        ],
        responses={
            302: OpenApiResponse(OAuthAuthorizeOutputSerializer, description="Redirect to Google (Location)"),
            **error_responses(400, 401, 403, 429),
        },
    )
    def get(self, request):
        serializer = OAuthAuthorizeInputSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        url = services.oauth_start(
            email=data["email"],
            is_reserve=data["is_reserve"],
            project=data.get("project") or None,
            started_by=request.user,
        )
        response = Response({"authorization_url": url}, status=status.HTTP_302_FOUND)
        response["Location"] = url
        return response


class YouTubeOAuthCallbackView(APIView):
    """Google redirects the browser here; the single-use state (issued to staff) authorises it."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["YouTube"],
        operation_id="youtube_oauth_callback",
        auth=[],
        parameters=[
            OpenApiParameter("state", str, required=True),
            OpenApiParameter("code", str, required=False),
            OpenApiParameter("error", str, required=False),
        ],
        responses={200: OAuthCallbackOutputSerializer, **error_responses(400, 409, 429, 503)},
    )
    def get(self, request):
        serializer = OAuthCallbackInputSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account, created, return_to = services.oauth_complete_with_redirect(
            state=data["state"], code=data.get("code"), error=data.get("error")
        )
        if return_to and url_has_allowed_host_and_scheme(return_to, allowed_hosts={request.get_host()}):
            return HttpResponseRedirect(return_to)
        body = {
            "detail": "YouTube account connected" if created else "YouTube account reconnected",
            "created": created,
            "account": account,
        }
        return Response(OAuthCallbackOutputSerializer(body).data)


class YouTubeCapacityView(APIView):
    """Staff: per project the buckets, per account uploads/cap/health/state, uploads still possible today."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        tags=["YouTube"],
        operation_id="youtube_capacity",
        responses={200: CapacityOutputSerializer, **error_responses(401, 403, 429)},
    )
    def get(self, request):
        return Response(CapacityOutputSerializer(services.pool_capacity()).data)
