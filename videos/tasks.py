"""Video tasks: thin wrappers that take an id and call a service."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
    name="videos.tasks.video_process_task",
)
def video_process_task(self, video_id: str) -> str | None:
    """Move a queued video to processing (the full pipeline is a later issue).

    Idempotent: a redelivered message finds the video already past ``queued`` and does nothing.
    Returns the new status, or None when nothing changed.
    """
    video = services.video_process_start(video_id=video_id)
    return video.status if video is not None else None
