"""Video reads. A customer sees only videos of their channels; role admin sees all."""

import uuid

from django.db.models import Prefetch, QuerySet

from ytempire.core.exceptions import NotFoundError

from .models import Video, VideoEvent

VIDEO_NOT_FOUND = "Video not found"


def video_visible_queryset(*, user) -> QuerySet[Video]:
    qs = Video.objects.all()
    return qs if user.is_platform_admin else qs.filter(channel__user_id=user.pk)


def video_list(*, user) -> QuerySet[Video]:
    """The caller's videos, newest first; filters (channel_id, status, dates) apply on top."""
    return video_visible_queryset(user=user).order_by("-created_at", "-id")


def video_get(*, user, video_id, with_events: bool = True) -> Video:
    """One video of the caller's with its event history prefetched (one extra query), or 404."""
    try:
        pk = video_id if isinstance(video_id, uuid.UUID) else uuid.UUID(str(video_id))
    except (TypeError, ValueError):
        raise NotFoundError(VIDEO_NOT_FOUND) from None
    qs = video_visible_queryset(user=user).filter(pk=pk)
    if with_events:
        qs = qs.prefetch_related(Prefetch("events", queryset=VideoEvent.objects.order_by("at", "id")))
    video = qs.first()
    if video is None:
        raise NotFoundError(VIDEO_NOT_FOUND)
    return video


def video_events(*, video: Video) -> QuerySet[VideoEvent]:
    return VideoEvent.objects.filter(video=video).order_by("at", "id")
