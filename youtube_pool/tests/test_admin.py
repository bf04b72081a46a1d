"""The pool's admin: state is read-only in forms, every action goes through its service and says what it did."""

import datetime as dt
import urllib.parse
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.db.models import F
from django.db.models.signals import pre_save
from django.urls import reverse
from django.utils import timezone

from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.services.credentials import project_client_secret
from ytempire.core.testing import race

from .conftest import connect_account, make_project
from .factories import GoogleProjectFactory, YouTubeAccountFactory

pytestmark = pytest.mark.django_db
ACCOUNTS = "admin:youtube_pool_youtubeaccount_changelist"
PROJECTS = "admin:youtube_pool_googleproject_changelist"


@pytest.fixture
def admin_web(client, staff_user):
    client.force_login(staff_user)
    return client


def act(client, action, rows, changelist=ACCOUNTS, *, follow=True):
    """POST a changelist action; following the redirect shows (and consumes) its messages."""
    return client.post(
        reverse(changelist), {"action": action, "_selected_action": [str(r.pk) for r in rows]}, follow=follow
    )


def said(response) -> list[tuple[str, str]]:
    """(level, text) of each message_user the action left for the page."""
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def test_changelists_render_without_secrets_and_with_bounded_queries(admin_web, django_assert_max_num_queries):
    project = GoogleProjectFactory()
    YouTubeAccountFactory.create_batch(5, project=project)
    with django_assert_max_num_queries(12):
        response = admin_web.get(reverse(ACCOUNTS))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Connect YouTube account" in page
    account = YouTubeAccount.objects.first()
    assert account.credentials_encrypted not in page
    detail = admin_web.get(reverse("admin:youtube_pool_youtubeaccount_change", args=[account.pk])).content.decode()
    assert account.credentials_encrypted not in detail
    projects = admin_web.get(reverse(PROJECTS)).content.decode()
    assert project.client_secret_encrypted not in projects
    project_page = admin_web.get(reverse("admin:youtube_pool_googleproject_change", args=[project.pk]))
    assert project.client_secret_encrypted not in project_page.content.decode()


def test_project_secret_is_write_only_and_stored_encrypted(admin_web):
    response = admin_web.post(
        reverse("admin:youtube_pool_googleproject_add"),
        {
            "name": "gamma",
            "client_id": "gamma.apps.googleusercontent.com",
            "client_secret": "gamma-secret",
            "upload_limit": 100,
            "search_limit": 100,
            "units_limit": 10000,
        },
    )
    assert response.status_code == 302
    project = GoogleProject.objects.get(name="gamma")
    assert project.is_active
    assert "gamma-secret" not in project.client_secret_encrypted
    assert project_client_secret(project) == "gamma-secret"

    # A new secret alone is stored through its service and logged, never saved as a field.
    response = admin_web.post(
        reverse("admin:youtube_pool_googleproject_change", args=[project.pk]),
        {
            "name": "gamma",
            "client_id": "gamma.apps.googleusercontent.com",
            "client_secret": "rotated-secret",
            "upload_limit": 100,
            "search_limit": 100,
            "units_limit": 10000,
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project_client_secret(project) == "rotated-secret"
    assert "client secret" in LogEntry.objects.filter(object_id=str(project.pk)).latest("action_time").change_message


# --- account actions ------------------------------------------------------------------------------
def test_reset_quota_action_zeroes_the_counters(admin_web):
    account = YouTubeAccountFactory(uploads_today=4, quota_used_today=300)
    response = act(admin_web, "reset_quota", [account])
    account.refresh_from_db()
    assert (account.uploads_today, account.quota_used_today) == (0, 0)
    assert account.last_reset_at > timezone.now() - dt.timedelta(minutes=1)
    assert said(response) == [("success", "Reset the counters of 1 account(s).")]


def test_deactivate_action_records_who_for_staff_and_announces_it_without_names(admin_web, staff_user, state_events):
    account = YouTubeAccountFactory()
    response = act(admin_web, "deactivate", [account])
    account.refresh_from_db()
    assert not account.is_active
    assert account.deactivated_reason == f"deactivated by {staff_user.email}"
    assert said(response) == [("success", "Deactivated 1 account(s).")]
    assert [(e["account_id"], e["state"], e["reason"]) for e in state_events] == [
        (account.pk, "deactivated", "deactivated by the platform's staff")
    ]


def test_reactivate_action_clears_the_streak_and_the_rest(admin_web):
    account = YouTubeAccountFactory(
        is_active=False,
        deactivated_reason="5 consecutive errors",
        consecutive_errors=5,
        health_score=20,
        rested_until=timezone.now() + dt.timedelta(hours=3),
    )
    response = act(admin_web, "reactivate", [account])
    account.refresh_from_db()
    assert (account.is_active, account.deactivated_reason, account.consecutive_errors) == (True, "", 0)
    assert (account.rested_until, account.health_score) == (None, Decimal(50))
    assert said(response) == [("success", "Reactivated 1 account(s).")]


def test_reactivating_an_account_that_needs_reauthorisation_is_refused(admin_web):
    stale = YouTubeAccountFactory(is_active=False, needs_reauth=True, deactivated_reason="reauthorisation needed")
    fine = YouTubeAccountFactory(is_active=False, deactivated_reason="deactivated by staff")

    response = act(admin_web, "reactivate", [stale, fine])

    assert response.redirect_chain == [(reverse(ACCOUNTS), 302)]
    stale.refresh_from_db()
    fine.refresh_from_db()
    assert (stale.is_active, stale.needs_reauth, stale.deactivated_reason) == (False, True, "reauthorisation needed")
    assert fine.is_active
    assert said(response) == [
        ("success", "Reactivated 1 account(s)."),
        ("error", f"{stale}: {stale} needs reauthorisation: reconnect it instead"),
    ]


def test_rest_and_end_rest_actions(admin_web, settings, state_events):
    settings.YOUTUBE_REST_HOURS = 6
    account = YouTubeAccountFactory()

    response = act(admin_web, "rest", [account])
    account.refresh_from_db()
    hours = (account.rested_until - timezone.now()).total_seconds() / 3600
    assert 5.9 < hours <= 6
    assert said(response) == [("success", "Resting 1 account(s).")]

    response = act(admin_web, "end_rest", [account])
    account.refresh_from_db()
    assert account.rested_until is None
    assert said(response) == [("success", "Ended the rest of 1 account(s).")]
    assert [e["state"] for e in state_events] == ["resting", "ok"]


def test_reset_upload_cap_restores_the_configured_cap_by_role(admin_web, settings):
    settings.YOUTUBE_ACTIVE_UPLOAD_CAP = 6
    settings.YOUTUBE_RESERVE_UPLOAD_CAP = 3
    active = YouTubeAccountFactory(daily_upload_cap=1)  # lowered after uploadLimitExceeded
    reserve = YouTubeAccountFactory(is_reserve=True, daily_upload_cap=1)

    response = act(admin_web, "reset_upload_cap", [active, reserve])

    active.refresh_from_db()
    reserve.refresh_from_db()
    assert (active.daily_upload_cap, reserve.daily_upload_cap) == (6, 3)
    assert said(response) == [("success", "Reset the upload cap of 2 account(s).")]


def test_health_check_and_reconnect_actions(admin_web, fake_youtube):
    project = make_project(fake_youtube, "alpha")
    account = connect_account(fake_youtube, project, "a1@example.com", health_score=80)

    response = act(admin_web, "run_health_check", [account])
    account.refresh_from_db()
    assert account.health_score == 81 and account.last_health_check_at is not None
    assert said(response) == [("success", "@a1: ok")]
    assert fake_youtube.count("GET", "/youtube/v3/channels") == 1

    response = act(admin_web, "reconnect", [account], follow=False)
    assert response.status_code == 302
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(response["Location"]).query))
    assert response["Location"].startswith(fake_youtube.auth_uri)
    assert query["login_hint"] == "a1@example.com"


def test_connect_button_starts_the_flow(admin_web, fake_youtube):
    project = make_project(fake_youtube, "alpha")
    url = reverse("admin:youtube_pool_youtubeaccount_connect")
    assert admin_web.get(url).status_code == 200
    response = admin_web.post(url, {"email": "fresh@example.com", "project": str(project.pk)})
    assert response.status_code == 302
    assert response["Location"].startswith(fake_youtube.auth_uri)


# --- project actions ------------------------------------------------------------------------------
def test_project_reset_quota_action(admin_web):
    project = GoogleProjectFactory(uploads_used=40, searches_used=3, units_used=900)
    response = act(admin_web, "reset_quota", [project], PROJECTS)
    project.refresh_from_db()
    assert (project.uploads_used, project.searches_used, project.units_used) == (0, 0, 0)
    assert project.last_reset_at is not None
    assert said(response) == [("success", "Reset the buckets of 1 project(s).")]


def test_project_deactivate_and_reactivate_actions(admin_web):
    project = GoogleProjectFactory()
    response = act(admin_web, "deactivate", [project], PROJECTS)
    project.refresh_from_db()
    assert not project.is_active
    assert said(response) == [("success", "Deactivated 1 project(s).")]

    response = act(admin_web, "reactivate", [project], PROJECTS)
    project.refresh_from_db()
    assert project.is_active
    assert said(response) == [("success", "Reactivated 1 project(s).")]


# --- change forms ---------------------------------------------------------------------------------
def test_the_account_form_ignores_posted_state(admin_web):
    account = YouTubeAccountFactory(is_active=False, needs_reauth=True, daily_upload_cap=2, uploads_today=1)
    response = admin_web.post(
        reverse("admin:youtube_pool_youtubeaccount_change", args=[account.pk]),
        {
            "channel_handle": "@renamed",
            "is_active": "on",
            "needs_reauth": "",
            "daily_upload_cap": 50,
            "uploads_today": 0,
            "health_score": 100,
            "email": "other@example.com",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.channel_handle == "@renamed"
    assert (account.is_active, account.needs_reauth, account.daily_upload_cap, account.uploads_today) == (
        False,
        True,
        2,
        1,
    )
    assert account.email != "other@example.com"


@pytest.mark.django_db(transaction=True)
def test_saving_the_account_form_keeps_a_workers_concurrent_counter_update(admin_web):
    account = YouTubeAccountFactory(uploads_today=1, quota_used_today=10)

    def worker_books_a_slot(sender, instance, **kwargs):
        # Between the admin loading the row and saving it, a worker (its own connection) books a slot.
        bumped = race(
            lambda: YouTubeAccount.objects.filter(pk=instance.pk).update(
                uploads_today=F("uploads_today") + 1, quota_used_today=F("quota_used_today") + 50
            ),
            1,
        )
        assert bumped == [1]

    pre_save.connect(worker_books_a_slot, sender=YouTubeAccount, dispatch_uid="test-worker-bump")
    try:
        response = admin_web.post(
            reverse("admin:youtube_pool_youtubeaccount_change", args=[account.pk]), {"channel_handle": "@renamed"}
        )
    finally:
        pre_save.disconnect(sender=YouTubeAccount, dispatch_uid="test-worker-bump")

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.channel_handle == "@renamed"
    assert (account.uploads_today, account.quota_used_today) == (2, 60)


@pytest.mark.django_db(transaction=True)
def test_saving_the_project_form_keeps_a_workers_concurrent_usage(admin_web):
    project = GoogleProjectFactory(name="alpha", uploads_used=3, units_used=100)

    def worker_meters_a_call(sender, instance, **kwargs):
        bumped = race(lambda: GoogleProject.objects.filter(pk=instance.pk).update(units_used=F("units_used") + 50), 1)
        assert bumped == [1]

    pre_save.connect(worker_meters_a_call, sender=GoogleProject, dispatch_uid="test-worker-meter")
    try:
        response = admin_web.post(
            reverse("admin:youtube_pool_googleproject_change", args=[project.pk]),
            {
                "name": "alpha",
                "client_id": project.client_id,
                "upload_limit": 90,
                "search_limit": 100,
                "units_limit": 10000,
            },
        )
    finally:
        pre_save.disconnect(sender=GoogleProject, dispatch_uid="test-worker-meter")

    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.upload_limit, project.uploads_used, project.units_used) == (90, 3, 150)


def test_accounts_are_filtered_by_owner_and_state_and_found_by_owner_email(admin_web, user):
    pool = YouTubeAccountFactory(channel_handle="@pool-one")
    customer = YouTubeAccountFactory(owner=user, email=None, channel_handle="@customer-own")
    stale = YouTubeAccountFactory(is_active=False, needs_reauth=True, channel_handle="@stale-one")

    def listed(**params) -> set[str]:
        page = admin_web.get(reverse(ACCOUNTS), params).content.decode()
        return {a.channel_handle for a in (pool, customer, stale) if a.channel_handle in page}

    assert listed(owner="platform") == {"@pool-one", "@stale-one"}
    assert listed(owner="customer") == {"@customer-own"}
    assert listed(q=user.email) == {"@customer-own"}
    assert listed(state="needs_reconnect") == {"@stale-one"}
    assert listed(state="ok") == {"@pool-one", "@customer-own"}
    page = admin_web.get(reverse(ACCOUNTS)).content.decode()
    assert user.email in page and "platform" in page


def test_reconnect_refuses_a_customers_own_channel(admin_web, user):
    account = YouTubeAccountFactory(owner=user, email=None)
    response = act(admin_web, "reconnect", [account])
    assert said(response) == [("error", f"{account} is a customer's own channel: only its owner can reconnect it.")]


def test_a_customers_account_cannot_be_made_a_reserve_in_its_form(admin_web, user):
    account = YouTubeAccountFactory(owner=user, email=None)
    response = admin_web.post(
        reverse("admin:youtube_pool_youtubeaccount_change", args=[account.pk]),
        {"channel_handle": "@renamed", "is_reserve": "on", "owner": ""},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.channel_handle, account.is_reserve, account.owner_id) == ("@renamed", False, user.pk)
