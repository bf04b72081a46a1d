import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from youtube_pool.demo import create_demo_data
from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.selectors import account_pool_summary
from youtube_pool.tasks import accounts_health_sweep_task

from .conftest import connect_account, make_project

pytestmark = pytest.mark.django_db


def test_health_sweep_refreshes_expiring_tokens_checks_and_deactivates_revoked(fake_youtube, state_events):
    project = make_project(fake_youtube, "alpha")
    expiring = connect_account(fake_youtube, project, "soon@example.com", health_score=90)
    YouTubeAccount.objects.filter(pk=expiring.pk).update(token_expires_at=timezone.now() + dt.timedelta(minutes=10))
    fine = connect_account(fake_youtube, project, "fine@example.com", health_score=95)
    YouTubeAccount.objects.filter(pk=fine.pk).update(token_expires_at=timezone.now() + dt.timedelta(hours=2))
    revoked = connect_account(fake_youtube, project, "gone@example.com")
    fake_youtube.revoke(revoked.fake_refresh_token)
    YouTubeAccount.objects.filter(pk=revoked.pk).update(token_expires_at=timezone.now())
    before = YouTubeAccount.objects.get(pk=expiring.pk).credentials_encrypted

    summary = accounts_health_sweep_task.delay().get()

    # The project was created today: no reset is due before the next Pacific midnight.
    assert summary == {"checked": 3, "ok": 2, "refreshed": 1, "late_reset_projects": 0, "rests_ended": 0}
    expiring.refresh_from_db()
    fine.refresh_from_db()
    revoked.refresh_from_db()
    assert expiring.credentials_encrypted != before
    assert expiring.token_expires_at > timezone.now() + dt.timedelta(minutes=50)
    assert (expiring.health_score, fine.health_score) == (91, 96)
    assert (revoked.is_active, revoked.needs_reauth, revoked.deactivated_reason) == (
        False,
        True,
        "reauthorisation needed",
    )
    assert [(e["account_id"], e["state"]) for e in state_events] == [(revoked.pk, "needs_reconnect")]
    project.refresh_from_db()
    assert project.units_used == 2  # one 1-unit check per working account
    assert fake_youtube.projects[project.client_id].used["units"] == 2


def test_account_health_command_prints_a_table(fake_youtube):
    project = make_project(fake_youtube, "alpha")
    connect_account(fake_youtube, project, "one@example.com")
    connect_account(fake_youtube, project, "two@example.com", reserve=True)
    out = io.StringIO()
    call_command("youtube_account_health", stdout=out)
    text = out.getvalue()
    assert "alpha" in text and "one@example.com" in text and "two@example.com" in text
    assert "Next reset:" in text

    out = io.StringIO()
    call_command("youtube_account_health", "--account", "one@example.com", "--check", stdout=out)
    assert "check @one: ok" in out.getvalue()
    assert "two@example.com" not in out.getvalue()


def test_the_health_summary_counts_the_platforms_pool_apart_from_customers(user):
    project = make_project_row()
    for n in range(3):
        YouTubeAccount.objects.create(project=project, channel_id=f"UCpool{n}", is_reserve=n == 2)
    YouTubeAccount.objects.create(project=project, channel_id="UCmine", owner=user)
    YouTubeAccount.objects.create(project=project, channel_id="UCstale", is_active=False, needs_reauth=True)

    summary = account_pool_summary()

    assert summary["summary"] == "3/15 active"
    assert (summary["active"], summary["reserve"], summary["customer"], summary["needs_reauth"]) == (2, 1, 1, 1)


def make_project_row():
    return GoogleProject.objects.create(name="alpha", client_id="alpha.apps.googleusercontent.com")


def test_demo_data_is_idempotent_and_labelled_sandbox(user, staff_user):
    first = create_demo_data(staff=staff_user, customer=user)
    create_demo_data(staff=staff_user, customer=user)
    assert "sandbox" in first
    assert GoogleProject.objects.get().is_sandbox
    assert YouTubeAccount.objects.filter(is_sandbox=True, is_reserve=False).count() == 12
    assert YouTubeAccount.objects.filter(is_sandbox=True, is_reserve=True, daily_upload_cap=2).count() == 3
    summary = account_pool_summary()
    assert summary["summary"] == "15/15 active" and summary["status"] == "ok"
