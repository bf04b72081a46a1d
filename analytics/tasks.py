"""Analytics tasks: thin, idempotent, named after the service they run (schedules: ytempire/schedules.py)."""

from celery import shared_task

from .rollups import rollups_refresh_recent
from .sync import youtube_stats_sync

# The hourly sync stops starting new channels after this long (the rest go first next hour).
SYNC_TIME_BUDGET_SECONDS = 45 * 60


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=0,
    name="analytics.tasks.rollups_refresh_task",
    soft_time_limit=9 * 60,
    time_limit=10 * 60,
)
def rollups_refresh_task(self, days: int = 2) -> int:
    """Every 10 minutes: today's and yesterday's rollups; nightly with days=30 (late changes)."""
    return rollups_refresh_recent(days=int(days))


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=0,
    name="analytics.tasks.youtube_stats_sync_task",
    soft_time_limit=55 * 60,
    time_limit=58 * 60,
)
def youtube_stats_sync_task(self) -> dict:
    """Hourly: every bound channel's YouTube statistics and revenue through its own account.
    Skipped channels (exhausted project, resting or revoked account) are retried next hour."""
    report = youtube_stats_sync(time_budget_seconds=SYNC_TIME_BUDGET_SECONDS)
    return {
        "channels": report.channels,
        "synced": report.synced,
        "partial": report.partial,
        "skipped": report.skipped,
        "failed": report.failed,
        "deferred": report.deferred,
        "calls": report.calls,
    }
