"""Video reads. A customer sees only videos of their channels; role admin sees all."""

import uuid

from django.db.models import Case, F, JSONField, Prefetch, QuerySet, Value, When

from ytempire.core.exceptions import NotFoundError
from ytempire.core.visibility import owned_by

from .models import Video, VideoEvent, VideoStatus

VIDEO_NOT_FOUND = "Video not found"


def video_visible_queryset(*, user) -> QuerySet[Video]:
    return owned_by(Video.objects.all(), user=user, owner_path="channel__user_id")


def video_list(*, user) -> QuerySet[Video]:
    """The caller's videos, newest first; filters (channel_id, status, dates) apply on top."""
    return video_visible_queryset(user=user).order_by("-created_at", "-id")


def video_list_with_failure_metadata(queryset: QuerySet[Video]) -> QuerySet[Video]:
    """``queryset`` with ``failure_metadata``: a failed video's metadata (what its failure notice
    reads), None for the others, so a list need not load every row's pipeline state."""
    return queryset.annotate(
        failure_metadata=Case(
            When(status=VideoStatus.FAILED, then=F("metadata")), default=Value(None), output_field=JSONField()
        )
    )


def video_get(*, user, video_id, with_events: bool = True) -> Video:
    """One video of the caller's (optionally with its event history prefetched: one extra query), or 404."""
    try:
        pk = video_id if isinstance(video_id, uuid.UUID) else uuid.UUID(str(video_id))
    except (TypeError, ValueError, AttributeError):
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
