"""Celery tasks: thin entrances to the services, each named after its service (``<service>_task``)."""

import logging

from celery import shared_task
from django.conf import settings

from .exceptions import YouTubePoolError
from .services.health import accounts_health_sweep
from .services.quota import quota_reset_due
from .services.thumbnails import youtube_thumbnail_set

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=0, ignore_result=True)
def quota_reset_due_task(self) -> dict:
    """00:00 America/Los_Angeles: zero the project buckets and account counters (idempotent per day)."""
    report = quota_reset_due()
    return {"projects": report.projects, "accounts": report.accounts}


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=0, ignore_result=True)
def accounts_health_sweep_task(self) -> dict:
    """Every 30 minutes: a missed quota reset, token refreshes and a 1-unit check per active account."""
    summary = accounts_health_sweep()
    return {k: v for k, v in summary.items() if k != "accounts"}


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5, ignore_result=True)
def youtube_thumbnail_set_task(self, *, account_id: str, youtube_video_id: str, thumbnail_path: str) -> bool:
    """Retry a thumbnail that failed after a successful upload (the upload stays successful):
    backoff from YOUTUBE_THUMBNAIL_RETRY_SECONDS, doubling; a missing file or account ends it."""
    try:
        done = youtube_thumbnail_set(
            account_id=account_id, youtube_video_id=youtube_video_id, thumbnail_path=thumbnail_path
        )
    except YouTubePoolError as exc:
        logger.warning("Thumbnail abandoned", extra={"youtube_video_id": youtube_video_id, "error": exc.message})
        return False
    if done:
        return True
    if self.request.retries >= self.max_retries:
        return False
    raise self.retry(countdown=int(settings.YOUTUBE_THUMBNAIL_RETRY_SECONDS) * (2**self.request.retries))
