"""Why a video waits to be published, and waking the videos of a channel when that changes."""

from datetime import timedelta

from django.utils import timezone

from ..models import Video, VideoStatus
from ..pipeline.queue import enqueue_step
from ..pipeline.state import pipeline_next_step, pipeline_state, update_state

S = VideoStatus

# Wait reasons of the upload step (``metadata.pipeline.wait.reason``).
NOT_CONNECTED = "channel_not_connected"
NEEDS_RECONNECT = "youtube_needs_reconnect"
CHANNEL_FULL = "channel_capacity"
PROJECT_QUOTA = "project_quota"
PUBLISHING_WAITS = frozenset({NOT_CONNECTED, NEEDS_RECONNECT, CHANNEL_FULL, PROJECT_QUOTA})
# An unconnected channel is looked at again this often (a connect or reconnect wakes it at once).
RECHECK = timedelta(hours=1)


def recheck_at():
    return timezone.now() + RECHECK


def channel_videos_resume(*, channel_id, reasons=PUBLISHING_WAITS) -> int:
    """Wake the channel's videos waiting for one of ``reasons`` (a connect, a reconnect, a failover).
    Returns how many were handed back to the pipeline."""
    resumed = 0
    waiting = Video.objects.filter(
        channel_id=channel_id, status__in=(S.READY, S.UPLOADING), metadata__pipeline__has_key="wait"
    ).only("id", "status", "priority", "metadata")
    for video in waiting:
        wait = pipeline_state(video).get("wait") or {}
        if wait.get("reason") not in reasons:
            continue
        update_state(video.pk, wait=None)
        step = pipeline_next_step(video)
        if step:
            enqueue_step(video, step)
            resumed += 1
    return resumed
