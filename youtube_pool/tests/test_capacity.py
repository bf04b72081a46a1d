"""Capacity rows: what each account and each Google project can still upload today."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from youtube_pool.selectors import account_capacity_rows, project_capacity_rows
from youtube_pool.services import account_state, next_reset_at

from .factories import GoogleProjectFactory, YouTubeAccountFactory

pytestmark = pytest.mark.django_db

ACCOUNT_KEYS = {
    "id",
    "channel_id",
    "handle",
    "project_id",
    "project_name",
    "owner_id",
    "is_reserve",
    "is_sandbox",
    "state",
    "uploads_today",
    "daily_upload_cap",
    "uploads_left",
    "health_score",
    "rested_until",
}


def test_the_state_vocabulary():
    now = timezone.now()
    cases = [
        (YouTubeAccountFactory.build(), "ok"),
        (YouTubeAccountFactory.build(is_reserve=True), "ok"),  # reserve is reported separately
        (YouTubeAccountFactory.build(rested_until=now + dt.timedelta(hours=1)), "resting"),
        (YouTubeAccountFactory.build(rested_until=now - dt.timedelta(hours=1)), "ok"),
        (YouTubeAccountFactory.build(is_active=False, needs_reauth=True), "needs_reconnect"),
        (YouTubeAccountFactory.build(is_active=False), "deactivated"),
        (YouTubeAccountFactory.build(is_active=False, rested_until=now + dt.timedelta(hours=1)), "deactivated"),
    ]
    assert [account_state(account, now=now) for account, _ in cases] == [state for _, state in cases]


def test_account_and_project_rows_in_two_queries(django_assert_num_queries, user):
    now = timezone.now()
    alpha = GoogleProjectFactory(name="alpha", upload_limit=100, uploads_used=98)
    beta = GoogleProjectFactory(name="beta", units_limit=10_000, units_used=7_990)  # past the units soft limit
    idle = GoogleProjectFactory(name="idle", is_active=False)
    ok = YouTubeAccountFactory(project=alpha, channel_handle="@ok", uploads_today=1)  # cap 4 left, project 2
    resting = YouTubeAccountFactory(project=alpha, rested_until=now + dt.timedelta(hours=3))
    dead = YouTubeAccountFactory(project=alpha, is_active=False, needs_reauth=True)
    heavy = YouTubeAccountFactory(project=beta)
    asleep = YouTubeAccountFactory(project=idle)
    orphan = YouTubeAccountFactory(project=None)
    customers = YouTubeAccountFactory(project=alpha, owner=user, email=None, uploads_today=4)

    with django_assert_num_queries(2):
        accounts = {row["id"]: row for row in account_capacity_rows(now=now)}
        projects = {row["id"]: row for row in project_capacity_rows(now=now)}

    assert all(set(row) == ACCOUNT_KEYS for row in accounts.values())
    assert not any("@example.com" in str(value) for row in accounts.values() for value in row.values())
    row = accounts[ok.pk]
    assert (row["channel_id"], row["handle"], row["project_id"], row["project_name"]) == (
        ok.channel_id,
        "@ok",
        alpha.pk,
        "alpha",
    )
    assert (row["state"], row["uploads_today"], row["daily_upload_cap"], row["uploads_left"]) == ("ok", 1, 5, 2)
    assert (row["owner_id"], row["health_score"], row["rested_until"]) == (None, Decimal(100), None)
    assert (accounts[resting.pk]["state"], accounts[resting.pk]["uploads_left"]) == ("resting", 0)
    assert accounts[resting.pk]["rested_until"] == resting.rested_until
    assert (accounts[dead.pk]["state"], accounts[dead.pk]["uploads_left"]) == ("needs_reconnect", 0)
    assert (accounts[heavy.pk]["state"], accounts[heavy.pk]["uploads_left"]) == ("ok", 0)
    assert accounts[asleep.pk]["uploads_left"] == 0
    assert (accounts[orphan.pk]["project_id"], accounts[orphan.pk]["uploads_left"]) == (None, 0)
    assert (accounts[customers.pk]["owner_id"], accounts[customers.pk]["uploads_left"]) == (user.pk, 1)

    assert projects[alpha.pk]["buckets"] == {
        "uploads": {"used": 98, "limit": 100, "left": 2},
        "searches": {"used": 0, "limit": 100, "left": 100},
        "units": {"used": 0, "limit": 10_000, "left": 10_000},
    }
    assert (projects[alpha.pk]["uploads_left"], projects[alpha.pk]["units_ok"]) == (2, True)
    assert (projects[beta.pk]["uploads_left"], projects[beta.pk]["units_ok"]) == (0, False)
    assert projects[idle.pk]["uploads_left"] == 0
    assert projects[alpha.pk]["next_reset_at"] == next_reset_at(now)
    assert projects[alpha.pk]["last_reset_at"] == alpha.last_reset_at


def test_rows_of_some_accounts(django_assert_num_queries):
    first, second, _ = YouTubeAccountFactory.create_batch(3)
    with django_assert_num_queries(1):
        rows = account_capacity_rows(account_ids=[first.pk, second.pk, uuid.uuid4()])
    assert {row["id"] for row in rows} == {first.pk, second.pk}
    with django_assert_num_queries(0):
        assert account_capacity_rows(account_ids=[]) == []
