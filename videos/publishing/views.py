"""Publishing endpoints: connect/disconnect a channel's YouTube channel, the OAuth callback (staff
and customers), staff's authorize and the capacity page."""

from django.http import HttpResponseRedirect
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ytempire.core.openapi import error_responses
from ytempire.core.serializers import validated_query

from . import binding
from .capacity import publishing_capacity
from .serializers import (
    CapacityOutputSerializer,
    ConnectInputSerializer,
    ConnectOutputSerializer,
    OAuthCallbackInputSerializer,
    OAuthCallbackOutputSerializer,
    StaffAuthorizeInputSerializer,
)

TAGS = ["YouTube"]


class ChannelYouTubeConnectView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Connect the channel to its YouTube channel (OAuth)",
        description=(
            "Answers Google's authorisation URL for this channel (offline access, consent, PKCE). The "
            "state lives 10 minutes, is single use and binds only this channel. `redirect_after` (a page "
            "of the frontend) gets the browser back with `?connected=1` or `?error=...`."
        ),
        request=ConnectInputSerializer,
        responses={200: ConnectOutputSerializer, **error_responses(400, 401, 404, 409, 429, 503)},
        tags=TAGS,
    )
    def post(self, request, channel_id):
        serializer = ConnectInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = binding.channel_connect_start(
            user=request.user, channel_id=channel_id, redirect_after=serializer.validated_data["redirect_after"]
        )
        return Response(ConnectOutputSerializer(result).data)


class ChannelYouTubeDisconnectView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Disconnect the channel from YouTube",
        description="Unbinds the channel and revokes the token at Google. Running uploads finish; queued "
        "videos wait until the channel is connected again.",
        request=None,
        responses={204: None, **error_responses(401, 404, 409, 429)},
        tags=TAGS,
    )
    def post(self, request, channel_id):
        binding.channel_disconnect(user=request.user, channel_id=channel_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class YouTubeOAuthAuthorizeView(APIView):
    """Staff: start connecting one of the platform's YouTube accounts (redirects to Google)."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        tags=TAGS,
        operation_id="youtube_oauth_authorize",
        parameters=[StaffAuthorizeInputSerializer],
        responses={
            302: OpenApiResponse(ConnectOutputSerializer, description="Redirect to Google (Location)"),
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def get(self, request):
        data = validated_query(StaffAuthorizeInputSerializer, request)
        result = binding.staff_connect_start(
            staff_user=request.user,
            login_hint=data["email"],
            is_reserve=data["is_reserve"],
            project=data.get("project") or None,
            bind_channel_id=data.get("bind_channel_id"),
        )
        response = Response(ConnectOutputSerializer(result).data, status=status.HTTP_302_FOUND)
        response["Location"] = result["authorization_url"]
        return response


class YouTubeOAuthCallbackView(APIView):
    """Google redirects the browser here; the single-use state authorises it (no token needed)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=TAGS,
        operation_id="youtube_oauth_callback",
        auth=[],
        parameters=[OAuthCallbackInputSerializer],
        responses={
            200: OAuthCallbackOutputSerializer,
            302: OpenApiResponse(description="Back to the frontend page the connection started from"),
            **error_responses(400, 409, 429, 503),
        },
    )
    def get(self, request):
        data = validated_query(OAuthCallbackInputSerializer, request)
        outcome = binding.youtube_oauth_callback(
            state=data["state"], code=data.get("code") or None, error=data.get("error") or None
        )
        if outcome.redirect_after:
            params = {"connected": "1"} if outcome.error is None else {"error": outcome.error.message}
            return HttpResponseRedirect(binding.redirect_with(outcome.redirect_after, **params))
        account, channel = outcome.account, outcome.channel
        body = {
            "detail": "YouTube channel connected" if outcome.created else "YouTube channel reconnected",
            "created": outcome.created,
            "youtube_channel_id": account.channel_id,
            "handle": account.channel_handle,
            "channel": channel,
        }
        return Response(OAuthCallbackOutputSerializer(body).data)


class YouTubeCapacityView(APIView):
    """Staff: per project the buckets, per account its channel, uploads/cap, health and state."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        tags=TAGS,
        operation_id="youtube_capacity",
        responses={200: CapacityOutputSerializer, **error_responses(401, 403, 429)},
    )
    def get(self, request):
        return Response(CapacityOutputSerializer(publishing_capacity()).data)
