import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ytempire.core.openapi import error_responses
from ytempire.core.pagination import LeanPageLimitPagination

from . import selectors, services
from .filters import VideoFilter
from .models import Video
from .serializers import LIST_FIELDS as VIDEO_LIST_FIELDS
from .serializers import (
    VideoGenerateInputSerializer,
    VideoGenerateOutputSerializer,
    VideoListOutputSerializer,
    VideoOutputSerializer,
    video_list_items,
)

TAGS = ["Videos"]


def _plain_uuid(value: str | None) -> uuid.UUID | None:
    """``value`` as VideoFilter's UUID field reads it, or None when that field might read it
    otherwise (surrounding spaces, empty, invalid): then the filter set decides."""
    if not value or value != value.strip():
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class VideoViewSet(viewsets.GenericViewSet):
    """Videos: queue one (202), list, detail with history, cancel, retry. Others' videos are 404."""

    filterset_class = VideoFilter
    serializer_class = VideoOutputSerializer
    pagination_class = LeanPageLimitPagination
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Video.objects.none()
        return selectors.video_list(user=self.request.user)

    def filter_queryset(self, queryset):
        # The frequent lists (all, or one channel's) without building the filter set; anything
        # else, or anything the fast path is unsure of, goes through VideoFilter (same 400s).
        params = self.request.query_params
        if self.action == "list" and all(name in ("page", "limit", "channel_id") for name in params):
            if "channel_id" not in params:
                return queryset
            channel_id = _plain_uuid(params.get("channel_id"))
            if channel_id is not None:
                return queryset.filter(channel_id=channel_id)
        return super().filter_queryset(queryset)

    @extend_schema(
        summary="List the caller's videos",
        responses={200: VideoListOutputSerializer(many=True), **error_responses(400, 401, 429)},
        tags=TAGS,
    )
    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset()).only(*VIDEO_LIST_FIELDS)
        page = self.paginate_queryset(selectors.video_list_with_failure_metadata(queryset))
        # Plain dicts in VideoListOutputSerializer's shape.
        return self.get_paginated_response(video_list_items(page))

    @extend_schema(
        summary="Get a video with its status history",
        responses={200: VideoOutputSerializer, **error_responses(401, 404, 429)},
        tags=TAGS,
    )
    def retrieve(self, request, pk=None):
        return Response(VideoOutputSerializer(selectors.video_get(user=request.user, video_id=pk)).data)

    @extend_schema(
        summary="Queue a video for generation",
        description=(
            "202 with the queued video. 403 'Daily video limit reached' (per channel or per user, since "
            "midnight UTC) or 'Daily cost budget reached'; 400 when the cost estimate for the "
            "optimization level exceeds the per-video limit; 404 when the channel is not the caller's; "
            "409 when the channel is paused, suspended or archived."
        ),
        request=VideoGenerateInputSerializer,
        responses={202: VideoGenerateOutputSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
        tags=TAGS,
    )
    @action(detail=False, methods=["post"], url_path="generate")
    def generate(self, request):
        data = VideoGenerateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        video = services.video_generate(user=request.user, **data.validated_data)
        return Response(VideoGenerateOutputSerializer(video).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Cancel a video",
        request=None,
        responses={200: VideoOutputSerializer, **error_responses(401, 404, 409, 429)},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        video = services.video_cancel(user=request.user, video_id=pk)
        return Response(VideoOutputSerializer(selectors.video_get(user=request.user, video_id=video.pk)).data)

    @extend_schema(
        summary="Retry a failed or cancelled video",
        request=None,
        responses={202: VideoOutputSerializer, **error_responses(401, 403, 404, 409, 429)},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        video = services.video_retry(user=request.user, video_id=pk)
        body = VideoOutputSerializer(selectors.video_get(user=request.user, video_id=video.pk)).data
        return Response(body, status=status.HTTP_202_ACCEPTED)
