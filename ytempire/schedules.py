"""Every celery-beat schedule, defined in code and upserted by name.

Run on every ``migrate`` (post_migrate) and by ``manage.py setup_periodic_tasks``. Staff may
toggle ``enabled`` in the admin; upserts keep that choice. Pacific-midnight jobs use a crontab
in America/Los_Angeles, so they follow daylight saving; CELERY_TIMEZONE stays UTC.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    crontab: dict | None = None  # minute/hour/day_of_week/day_of_month/month_of_year/timezone
    every_seconds: int | None = None
    expires_seconds: int | None = None
    queue: str | None = None
    kwargs: dict = field(default_factory=dict)


SCHEDULES: list[Schedule] = []


def register(schedule: Schedule) -> None:
    """Apps add their schedules here from their AppConfig.ready()."""
    if all(existing.name != schedule.name for existing in SCHEDULES):
        SCHEDULES.append(schedule)


def setup_periodic_tasks() -> list[str]:
    """Create or update every schedule; returns the names written."""
    import json

    from django.db import transaction
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

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
