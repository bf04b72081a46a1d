from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ytempire.core.openapi import error_responses

from . import selectors, services
from .filters import VideoFilter
from .models import Video
from .serializers import (
    VideoGenerateInputSerializer,
    VideoGenerateOutputSerializer,
    VideoListOutputSerializer,
    VideoOutputSerializer,
)

TAGS = ["Videos"]


class VideoViewSet(viewsets.GenericViewSet):
    """Videos: queue one (202), list, detail with history, cancel, retry. Others' videos are 404."""

    filterset_class = VideoFilter
    serializer_class = VideoOutputSerializer
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Video.objects.none()
        return selectors.video_list(user=self.request.user)

    @extend_schema(
        summary="List the caller's videos",
        responses={200: VideoListOutputSerializer(many=True), **error_responses(400, 401, 429)},
        tags=TAGS,
    )
    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(VideoListOutputSerializer(page, many=True).data)

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
