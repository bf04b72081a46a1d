"""Every celery-beat schedule, defined here once and upserted by name.

Run on every ``migrate`` (post_migrate, ytempire.ops) and by ``manage.py setup_periodic_tasks``.
Staff may toggle ``enabled`` in the admin; upserts keep that choice. Pacific-midnight jobs use a
crontab in America/Los_Angeles, so they follow daylight saving; CELERY_TIMEZONE stays UTC. Each
task is named after the service it runs.
"""

import json
from dataclasses import dataclass, field

from django.db import transaction

PACIFIC = "America/Los_Angeles"


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    crontab: dict | None = None  # minute/hour/day_of_week/day_of_month/month_of_year/timezone
    every_seconds: int | None = None
    expires_seconds: int | None = None
    queue: str | None = None
    kwargs: dict = field(default_factory=dict)


SCHEDULES: list[Schedule] = [
    Schedule(
        name="videos: dispatch waiting videos",
        task="videos.tasks.pipeline_dispatch_task",
        every_seconds=60,
        expires_seconds=55,
    ),
    Schedule(
        name="videos: sweep stuck videos",
        task="videos.tasks.pipeline_sweep_task",
        every_seconds=5 * 60,
        expires_seconds=4 * 60,
    ),
    Schedule(
        name="videos: channel automation",
        task="videos.tasks.automation_run_task",
        every_seconds=15 * 60,
        expires_seconds=14 * 60,
    ),
    Schedule(
        name="costs: expire stale reservations",
        task="costs.tasks.cost_expire_holds_task",
        every_seconds=5 * 60,
        expires_seconds=4 * 60,
    ),
    Schedule(
        name="costs: calibrate estimates from the ledger",
        task="costs.tasks.cost_estimates_calibrate_task",
        every_seconds=60 * 60,
        expires_seconds=55 * 60,
    ),
    Schedule(
        name="youtube-quota-reset",
        task="youtube_pool.tasks.quota_reset_due_task",
        crontab={"minute": "0", "hour": "0", "timezone": PACIFIC},
        expires_seconds=3600,
    ),
    Schedule(
        # Daily, at a quiet hour for the (mostly American) audience: disk freed before the day's renders.
        name="videos: purge media past retention",
        task="videos.tasks.media_purge_task",
        crontab={"minute": "30", "hour": "3", "timezone": PACIFIC},
        expires_seconds=3600,
    ),
    Schedule(
        name="youtube-health-sweep",
        task="youtube_pool.tasks.accounts_health_sweep_task",
        every_seconds=30 * 60,
        expires_seconds=25 * 60,
    ),
    Schedule(
        name="analytics: refresh today's and yesterday's rollups",
        task="analytics.tasks.rollups_refresh_task",
        every_seconds=10 * 60,
        expires_seconds=9 * 60,
        kwargs={"days": 2},
    ),
    Schedule(
        name="analytics: refresh the last 30 days' rollups",
        task="analytics.tasks.rollups_refresh_task",
        crontab={"minute": "30", "hour": "1"},
        expires_seconds=3600,
        kwargs={"days": 30},
    ),
    Schedule(
        name="analytics: sync YouTube statistics and revenue",
        task="analytics.tasks.youtube_stats_sync_task",
        every_seconds=60 * 60,
        expires_seconds=55 * 60,
    ),
]


def setup_periodic_tasks() -> list[str]:
    """Create or update every schedule; returns the names written."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask  # noqa: I001 - app registry must be ready

    written = []
    with transaction.atomic():
        for item in SCHEDULES:
            defaults = {
                "task": item.task,
                "kwargs": json.dumps(item.kwargs),
                "queue": item.queue,
                "expire_seconds": item.expires_seconds,
                "interval": None,
                "crontab": None,
            }
            if item.crontab is not None:
                spec = {
                    "minute": "0",
                    "hour": "*",
                    "day_of_week": "*",
                    "day_of_month": "*",
                    "month_of_year": "*",
                    **item.crontab,
                }
                defaults["crontab"], _ = CrontabSchedule.objects.get_or_create(**spec)
            else:
                defaults["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=item.every_seconds, period=IntervalSchedule.SECONDS
                )
            task, created = PeriodicTask.objects.get_or_create(name=item.name, defaults=defaults)
            if not created:
                for key, value in defaults.items():
                    setattr(task, key, value)
                task.save()
            written.append(item.name)
    return written
