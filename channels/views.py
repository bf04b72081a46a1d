from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ytempire.core.openapi import error_responses
from ytempire.core.pagination import LeanPageLimitPagination

from . import selectors, services
from .filters import ChannelEventFilter, ChannelFilter
from .models import EVENT_KIND_PATTERN, Channel, ChannelEvent
from .serializers import (
    ChannelCreateInputSerializer,
    ChannelDeleteOutputSerializer,
    ChannelEventOutputSerializer,
    ChannelListOutputSerializer,
    ChannelOutputSerializer,
    ChannelUpdateInputSerializer,
    channel_detail,
    channel_list_items,
)

TAGS = ["Channels"]

ChannelEventPageSchema = inline_serializer(
    "PaginatedChannelEventList",
    {
        "items": ChannelEventOutputSerializer(many=True),
        "total": serializers.IntegerField(),
        "page": serializers.IntegerField(),
        "pages": serializers.IntegerField(),
        "limit": serializers.IntegerField(),
    },
)


def _actor(request, channel: Channel) -> str:
    """The ``actor`` of events a request causes (no email): the owner, or role admin by id."""
    return "owner" if request.user.pk == channel.user_id else f"role admin {request.user.pk}"


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
    pagination_class = LeanPageLimitPagination
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Channel.objects.none()
        return selectors.channel_list(user=self.request.user)

    def filter_queryset(self, queryset):
        # No filter parameter, nothing to filter or refuse: skip building the filter set.
        if self.action == "list" and all(name in ("page", "limit") for name in self.request.query_params):
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset()).only(*ChannelListOutputSerializer.MODEL_FIELDS)
        page = self.paginate_queryset(queryset)
        # Plain dicts (ChannelListOutputSerializer's shape); channels.ports is asked once per page.
        return self.get_paginated_response(channel_list_items(page))

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
        return Response(channel_detail(selectors.channel_get(user=request.user, channel_id=pk)))

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
        outcome = services.channel_delete(channel=channel, actor=_actor(request, channel))
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

    @extend_schema(
        summary="A channel's history (connected, disconnected, archived, suspended...), newest first",
        parameters=[
            OpenApiParameter(
                "kind",
                str,
                description="Only events of this kind, e.g. youtube_connected",
                pattern=EVENT_KIND_PATTERN,
            ),
            OpenApiParameter("page", int, description="Page number (1-based)"),
            OpenApiParameter("limit", int, description="Page size (1..100, default 10)"),
        ],
        responses={200: ChannelEventPageSchema, **error_responses(400, 401, 404, 429)},
        filters=False,
        tags=TAGS,
    )
    @action(detail=True, methods=["get"], url_path="events", filterset_class=None)
    def events(self, request, pk=None):
        filters = ChannelEventFilter(request.query_params, queryset=ChannelEvent.objects.none())
        if not filters.is_valid():
            raise translate_validation(filters.errors)
        events = selectors.channel_event_list(
            user=request.user, channel_id=pk, kind=filters.form.cleaned_data.get("kind") or None
        )
        page = self.paginate_queryset(events)
        return self.get_paginated_response(ChannelEventOutputSerializer(page, many=True).data)
