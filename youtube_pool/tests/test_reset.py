import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_celery_beat.models import PeriodicTask

from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.services import next_reset_at, quota_reset_due
from youtube_pool.tasks import accounts_health_sweep_task, quota_reset_due_task
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
        assert quota_reset_due_task.delay() is not None
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
    assert task.task == "youtube_pool.tasks.quota_reset_due_task"
    assert (task.crontab.minute, task.crontab.hour, str(task.crontab.timezone)) == ("0", "0", "America/Los_Angeles")
    schedule = task.crontab.schedule
    last_run = at(2026, 3, 8, 8, 0)
    with time_machine.travel(at(2026, 3, 9, 6, 59), tick=False):
        assert not schedule.is_due(last_run).is_due
    with time_machine.travel(at(2026, 3, 9, 7, 0, 30), tick=False):
        assert schedule.is_due(last_run).is_due
    sweep = PeriodicTask.objects.get(name="youtube-health-sweep")
    assert (sweep.task, sweep.interval.every) == ("youtube_pool.tasks.accounts_health_sweep_task", 1800)


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


def test_a_project_created_mid_day_keeps_its_usage_until_the_next_pacific_midnight():
    """Issue 13: a project created today had no reset moment, so the next reset (the command, or the
    30-minute sweep calling the same function) zeroed what it had already spent that day."""
    with time_machine.travel(at(2026, 6, 10, 19, 0), tick=False):  # 12:00 PDT, 10 June
        project = GoogleProject.objects.create(name="fresh", client_id="fresh.apps.googleusercontent.com")
        account = YouTubeAccountFactory(project=project, is_sandbox=True)  # the sweep checks no sandbox over HTTP
        GoogleProject.objects.filter(pk=project.pk).update(uploads_used=9, units_used=402)
        YouTubeAccount.objects.filter(pk=account.pk).update(uploads_today=9, quota_used_today=402)

    with time_machine.travel(at(2026, 6, 10, 23, 30), tick=False):  # 16:30 PDT, the same Pacific day
        out = io.StringIO()
        call_command("reset_youtube_quotas", stdout=out)
        assert "Reset 0 project(s) and 0 account(s)" in out.getvalue()
        assert accounts_health_sweep_task.delay().get()["late_reset_projects"] == 0
        assert quota_reset_due_task.delay().get() == {"projects": 0, "accounts": 0}
    project.refresh_from_db()
    account.refresh_from_db()
    assert (project.uploads_used, project.units_used) == (9, 402)
    assert (account.uploads_today, account.quota_used_today) == (9, 402)

    with time_machine.travel(at(2026, 6, 11, 7, 0, 30), tick=False):  # 00:00:30 PDT, 11 June
        assert accounts_health_sweep_task.delay().get()["late_reset_projects"] == 1
    project.refresh_from_db()
    account.refresh_from_db()
    assert (project.uploads_used, project.units_used, account.uploads_today) == (0, 0, 0)
    assert project.last_reset_at == at(2026, 6, 11, 7, 0, 30)


def test_the_sweep_ends_expired_rests_and_announces_them(state_events):
    now = dt.datetime.now(UTC)
    over = YouTubeAccountFactory(rested_until=now - dt.timedelta(minutes=5), is_sandbox=True)
    still = YouTubeAccountFactory(rested_until=now + dt.timedelta(hours=5), is_sandbox=True)
    dead = YouTubeAccountFactory(rested_until=now - dt.timedelta(minutes=5), is_active=False)

    summary = accounts_health_sweep_task.delay().get()

    assert summary["rests_ended"] == 2
    over.refresh_from_db()
    still.refresh_from_db()
    dead.refresh_from_db()
    assert (over.rested_until, dead.rested_until) == (None, None)
    assert still.rested_until is not None
    assert [(e["account_id"], e["state"]) for e in state_events] == [(over.pk, "ok")]  # dead stays deactivated


def test_makemigrations_is_clean_for_the_pool():
    call_command("makemigrations", "youtube_pool", "--check", "--dry-run", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_existing_projects_get_their_creation_time_as_their_last_reset():
    """Data migration 0003: rows stored without a reset moment are given their creation time."""
    before = [("youtube_pool", "0002_pool_state")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        legacy = old.get_model("youtube_pool", "GoogleProject").objects.create(
            name="legacy", client_id="legacy.apps.googleusercontent.com", last_reset_at=None, uploads_used=9
        )
        old.get_model("youtube_pool", "GoogleProject").objects.filter(pk=legacy.pk).update(
            created_at=at(2026, 1, 5, 18, 0)
        )
        old.get_model("youtube_pool", "YouTubeAccount").objects.create(
            email="pool01@example.com", channel_id="UClegacy", project_id=legacy.pk
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    project = GoogleProject.objects.get(name="legacy")
    assert (project.last_reset_at, project.uploads_used) == (at(2026, 1, 5, 18, 0), 9)
    account = YouTubeAccount.objects.get(channel_id="UClegacy")
    assert (account.owner_id, account.email, account.project_id) == (None, "pool01@example.com", project.pk)
    # A reset is due for it now (its day is long over), and only once.
    assert quota_reset_due().projects == 1
    assert quota_reset_due().projects == 0
