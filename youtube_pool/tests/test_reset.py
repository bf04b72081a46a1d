import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.services import next_reset_at, quota_reset_due
from youtube_pool.tasks import youtube_quota_reset_task
from ytempire.schedules import SCHEDULES, setup_periodic_tasks

from .factories import GoogleProjectFactory, YouTubeAccountFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def used_project(**kwargs):
    return GoogleProjectFactory(uploads_used=40, searches_used=3, units_used=900, **kwargs)


def test_next_reset_follows_daylight_saving():
    # 8 March 2026: clocks spring forward; the Pacific day is 23 hours long.
    assert next_reset_at(at(2026, 3, 8, 12, 0)).astimezone(UTC) == at(2026, 3, 9, 7, 0)
    assert next_reset_at(at(2026, 3, 8, 7, 59)).astimezone(UTC) == at(2026, 3, 8, 8, 0)
    # 1 November 2026: clocks fall back; 25 hours.
    assert next_reset_at(at(2026, 11, 1, 12, 0)).astimezone(UTC) == at(2026, 11, 2, 8, 0)


def test_reset_runs_at_pacific_midnight_on_the_day_daylight_saving_starts():
    with time_machine.travel(at(2026, 3, 8, 8, 0, 5), tick=False):  # 00:00:05 PST, 8 March
        project = used_project(last_reset_at=at(2026, 3, 7, 8, 0))
        account = YouTubeAccountFactory(project=project, uploads_today=4, quota_used_today=120)
        YouTubeAccount.objects.filter(pk=account.pk).update(last_reset_at=at(2026, 3, 7, 8, 0))
        assert youtube_quota_reset_task.delay() is not None
        project.refresh_from_db()
        account.refresh_from_db()
        assert (project.uploads_used, project.searches_used, project.units_used) == (0, 0, 0)
        assert (account.uploads_today, account.quota_used_today) == (0, 0)

    GoogleProject.objects.filter(pk=project.pk).update(uploads_used=7)
    # 23:59 PDT on 8 March is 06:59 UTC on the 9th: still the same Pacific day, nothing resets
    # (a late or repeated run never erases usage recorded after midnight).
    with time_machine.travel(at(2026, 3, 9, 6, 59), tick=False):
        assert quota_reset_due().projects == 0
    project.refresh_from_db()
    assert project.uploads_used == 7
    # Midnight PDT is 07:00 UTC: only 23 hours after the previous reset.
    with time_machine.travel(at(2026, 3, 9, 7, 0, 1), tick=False):
        report = quota_reset_due()
        assert (report.projects, report.accounts) == (1, 1)
        assert quota_reset_due().projects == 0  # idempotent within the day
    project.refresh_from_db()
    assert project.uploads_used == 0


def test_beat_schedule_is_pacific_midnight_across_dst():
    assert any(s.name == "youtube-quota-reset" for s in SCHEDULES)
    setup_periodic_tasks()
    task = PeriodicTask.objects.get(name="youtube-quota-reset")
    assert task.task == "youtube_pool.tasks.youtube_quota_reset_task"
    assert (task.crontab.minute, task.crontab.hour, str(task.crontab.timezone)) == ("0", "0", "America/Los_Angeles")
    schedule = task.crontab.schedule
    last_run = at(2026, 3, 8, 8, 0)
    with time_machine.travel(at(2026, 3, 9, 6, 59), tick=False):
        assert not schedule.is_due(last_run).is_due
    with time_machine.travel(at(2026, 3, 9, 7, 0, 30), tick=False):
        assert schedule.is_due(last_run).is_due
    sweep = PeriodicTask.objects.get(name="youtube-health-sweep")
    assert sweep.interval.every == 1800


def test_reset_command_dry_run_changes_nothing():
    project = used_project(last_reset_at=at(2020, 1, 1, 8, 0))
    out = []
    call_command("reset_youtube_quotas", "--dry-run", stdout=type("W", (), {"write": lambda s, m: out.append(m)})())
    assert "Would reset 1 project(s)" in "".join(out)
    project.refresh_from_db()
    assert project.uploads_used == 40
    call_command("reset_youtube_quotas", stdout=type("W", (), {"write": lambda s, m: out.append(m)})())
    project.refresh_from_db()
    assert project.uploads_used == 0
