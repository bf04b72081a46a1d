from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.response import Response

from ytempire.core.openapi import error_responses

from . import selectors, services
from .filters import ChannelFilter
from .models import Channel
from .serializers import (
    ChannelCreateInputSerializer,
    ChannelDeleteOutputSerializer,
    ChannelListOutputSerializer,
    ChannelOutputSerializer,
    ChannelUpdateInputSerializer,
)

TAGS = ["Channels"]


@extend_schema_view(
    list=extend_schema(
        summary="List the caller's channels",
        responses={200: ChannelListOutputSerializer(many=True), **error_responses(400, 401, 429)},
        tags=TAGS,
    ),
)
class ChannelViewSet(viewsets.GenericViewSet):
    """Channels CRUD. Another user's channel is a 404, never a 403; role admin sees every channel."""

    filterset_class = ChannelFilter
    serializer_class = ChannelOutputSerializer
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Channel.objects.none()
        return selectors.channel_list(user=self.request.user)

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset()).only(*ChannelListOutputSerializer.Meta.fields)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ChannelListOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a channel",
        request=ChannelCreateInputSerializer,
        responses={201: ChannelOutputSerializer, **error_responses(400, 401, 403, 429)},
        tags=TAGS,
    )
    def create(self, request):
        data = ChannelCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = services.channel_create(user=request.user, **data.validated_data)
        return Response(ChannelOutputSerializer(channel).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Get a channel",
        responses={200: ChannelOutputSerializer, **error_responses(401, 404, 429)},
        tags=TAGS,
    )
    def retrieve(self, request, pk=None):
        channel = selectors.channel_get(user=request.user, channel_id=pk)
        return Response(ChannelOutputSerializer(channel).data)

    @extend_schema(
        summary="Update a channel",
        request=ChannelUpdateInputSerializer,
        responses={200: ChannelOutputSerializer, **error_responses(400, 401, 404, 409, 429)},
        tags=TAGS,
    )
    def partial_update(self, request, pk=None):
        channel = selectors.channel_get(user=request.user, channel_id=pk)
        data = ChannelUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = services.channel_update(channel=channel, actor=request.user, data=data.validated_data)
        return Response(ChannelOutputSerializer(channel).data)

    @extend_schema(
        summary="Delete a channel (archived when it has published videos)",
        request=None,
        responses={200: ChannelDeleteOutputSerializer, **error_responses(401, 404, 429)},
        tags=TAGS,
    )
    def destroy(self, request, pk=None):
        channel = selectors.channel_get(user=request.user, channel_id=pk)
        outcome = services.channel_delete(channel=channel)
        if outcome == "archived":
            body = {
                "id": channel.pk,
                "deleted": "soft",
                "status": "archived",
                "detail": "Channel archived: it has published videos.",
            }
        else:
            body = {"id": channel.pk, "deleted": "hard", "status": None, "detail": "Channel deleted."}
        return Response(ChannelDeleteOutputSerializer(body).data)
