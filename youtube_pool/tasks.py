"""Celery tasks: thin entrances to the services."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=0, ignore_result=True)
def youtube_quota_reset_task(self) -> dict:
    """00:00 America/Los_Angeles: zero the project buckets and account counters (idempotent per day)."""
    from .services import quota_reset_due

    report = quota_reset_due()
    return {"projects": report.projects, "accounts": report.accounts}


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=0, ignore_result=True)
def youtube_health_sweep_task(self) -> dict:
    from .services import accounts_health_sweep

    summary = accounts_health_sweep()
    return {k: v for k, v in summary.items() if k != "accounts"}


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5, ignore_result=True)
def youtube_thumbnail_set_task(self, video_id: str) -> bool:
    """Retry a thumbnail that failed after a successful upload (the upload stays successful)."""
    from .conf import setting
    from .services import video_thumbnail_set

    if video_thumbnail_set(video_id=video_id):
        return True
    if self.request.retries >= self.max_retries:
        return False
    raise self.retry(countdown=int(setting("YOUTUBE_THUMBNAIL_RETRY_SECONDS")) * (2**self.request.retries))
