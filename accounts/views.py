from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ytempire.core.openapi import error_responses
from ytempire.core.throttling import AnonMinuteThrottle, AuthEndpointThrottle

from . import services
from .serializers import (
    LoginInputSerializer,
    PasswordChangeInputSerializer,
    ProfileUpdateInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    RegisterOutputSerializer,
    TokenOutputSerializer,
    UserOutputSerializer,
)

TAGS = ["Auth"]


class _AnonymousAuthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthEndpointThrottle, AnonMinuteThrottle]


class RegisterView(_AnonymousAuthView):
    @extend_schema(
        request=RegisterInputSerializer,
        responses={201: RegisterOutputSerializer, **error_responses(400, 429)},
        tags=TAGS,
    )
    def post(self, request):
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, tokens = services.user_register(**data.validated_data)
        return Response({"user": UserOutputSerializer(user).data, **tokens}, status=status.HTTP_201_CREATED)


class LoginView(_AnonymousAuthView):
    @extend_schema(
        request=LoginInputSerializer,
        responses={200: TokenOutputSerializer, **error_responses(400, 401, 429)},
        tags=TAGS,
    )
    def post(self, request):
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _, tokens = services.auth_login(request=request, **data.validated_data)
        return Response(tokens)


class RefreshView(_AnonymousAuthView):
    throttle_classes = [AnonMinuteThrottle]

    @extend_schema(
        request=RefreshInputSerializer,
        responses={200: TokenOutputSerializer, **error_responses(400, 401, 429)},
        tags=TAGS,
    )
    def post(self, request):
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.token_refresh(raw_refresh=data.validated_data["refresh_token"]))


class LogoutView(APIView):
    @extend_schema(
        request=RefreshInputSerializer,
        responses={200: OpenApiResponse(description="Logged out"), **error_responses(400, 401)},
        tags=TAGS,
    )
    def post(self, request):
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.auth_logout(user=request.user, raw_refresh=data.validated_data["refresh_token"])
        return Response({"detail": "Logged out"})


class MeView(APIView):
    @extend_schema(responses={200: UserOutputSerializer, **error_responses(401)}, tags=TAGS)
    def get(self, request):
        return Response(UserOutputSerializer(request.user).data)

    @extend_schema(
        request=ProfileUpdateInputSerializer,
        responses={200: UserOutputSerializer, **error_responses(400, 401)},
        tags=TAGS,
    )
    def patch(self, request):
        data = ProfileUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **data.validated_data)
        return Response(UserOutputSerializer(user).data)


class PasswordChangeView(APIView):
    @extend_schema(
        request=PasswordChangeInputSerializer,
        responses={200: TokenOutputSerializer, **error_responses(400, 401)},
        tags=TAGS,
        description="Changes the password, revokes every access and refresh token, returns a fresh pair.",
    )
    def post(self, request):
        data = PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.user_change_password(user=request.user, **data.validated_data)
        return Response(tokens)
