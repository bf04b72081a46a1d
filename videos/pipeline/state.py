"""The pipeline's record of a video (``metadata["pipeline"]``), waits, and the per-video lock.

Waiting is data, not a sleeping task: a video waiting for the next budget day, its channel's
upload time or its YouTube channel's capacity carries ``pipeline.wait = {"reason", "until",
"detail"}``; the dispatcher re-enqueues it when due.
"""

import logging
import uuid
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from ..models import Video, VideoStatus
from ..services import video_event_record

logger = logging.getLogger(__name__)

S = VideoStatus
PIPELINE_KEY = "pipeline"
STEPS = ("start", "script", "voice", "render", "upload")


class VideoBusyError(Exception):
    """Another worker holds this video's lock."""


def pipeline_state(video: Video) -> dict:
    return dict((video.metadata or {}).get(PIPELINE_KEY) or {})


def update_state(video_id, *, step: str | None = None, clear_wait: bool = False, **changes) -> dict:
    """Merge ``changes`` into metadata["pipeline"] (or into its ``step`` entry) under the row lock."""
    with transaction.atomic():
        video = Video.objects.select_for_update().only("id", "metadata").get(pk=video_id)
        metadata = dict(video.metadata or {})
        state = dict(metadata.get(PIPELINE_KEY) or {})
        if step is not None:
            state[step] = {**(state.get(step) or {}), **changes}
        else:
            state.update(changes)
        if clear_wait:
            state.pop("wait", None)
            state.pop("waiting_for", None)
        metadata[PIPELINE_KEY] = state
        Video.objects.filter(pk=video_id).update(metadata=metadata, updated_at=timezone.now())
    return state


def store_outputs(video_id, **fields) -> None:
    """Save what a step produced (script, audio path...) without touching the status."""
    with transaction.atomic():
        video = Video.objects.select_for_update().get(pk=video_id)
        for name, value in fields.items():
            setattr(video, name, value)
        video.save(update_fields=[*fields, "updated_at"])


def wait(video: Video, *, reason: str, until: datetime, detail: str) -> None:
    """Park the video until ``until``; the event is recorded once per reason (``waiting_for``
    survives the dispatcher's re-tries and is cleared when the video moves on), not on every poll."""
    previous = pipeline_state(video).get("waiting_for")
    update_state(video.pk, wait={"reason": reason, "until": until.isoformat(), "detail": detail}, waiting_for=reason)
    if previous != reason:
        video_event_record(video=video, reason=f"waiting: {detail}", data={"until": until.isoformat()})
    logger.info("video waiting", extra={"video_id": str(video.pk), "wait_reason": reason, "until": until.isoformat()})


def wait_is_over(video: Video, now: datetime) -> bool:
    current = pipeline_state(video).get("wait")
    return not current or datetime.fromisoformat(current["until"]) <= now


def pipeline_next_step(video: Video) -> str | None:
    """What should run next for ``video`` given its status and finished steps."""
    state = pipeline_state(video)
    if video.status == S.QUEUED:
        return "start"
    if video.status == S.PROCESSING:
        for step in ("script", "voice"):
            if not (state.get(step) or {}).get("done"):
                return step
        return "render"
    if video.status in (S.READY, S.UPLOADING):
        return "upload"
    return None


@contextmanager
def video_lock(video_id, *, seconds: int | None = None):
    """A per-video lock in the cache (Redis in production) so no video runs twice at once.

    It expires after the task time limit, so a killed worker never blocks its video for good."""
    cache = caches["default"]
    key = f"pipeline:lock:{video_id}"
    token = uuid.uuid4().hex
    if not cache.add(key, token, timeout=seconds or settings.CELERY_TASK_TIME_LIMIT + 60):
        raise VideoBusyError(str(video_id))
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)
