"""Booking uploads on one named account, picking a free platform account, health bookkeeping."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError
from httplib2 import Response

from youtube_pool.exceptions import AccountFullError, AccountUnavailableError, QuotaExhaustedError
from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.services import (
    account_book_upload,
    account_reactivate,
    account_record_result,
    account_release_upload_slot,
    next_reset_at,
    pool_account_pick,
    quota_reserve,
    youtube_upload,
)
from youtube_pool.services.errors import ErrorKind, classify_error
from ytempire.core.testing import race

from .conftest import connect_account, make_project, upload_request
from .factories import GoogleProjectFactory, YouTubeAccountFactory

UTC = dt.UTC


def http_error(status: int, reason: str, uri: str = "https://youtube.googleapis.com/youtube/v3/videos") -> HttpError:
    body = f'{{"error": {{"code": {status}, "message": "m", "errors": [{{"reason": "{reason}"}}]}}}}'
    return HttpError(Response({"status": status}), body.encode(), uri=uri)


def counters(account) -> tuple[int, int]:
    """(the account's uploads today, its project's upload calls used), from the database."""
    account = YouTubeAccount.objects.select_related("project").get(pk=account.pk)
    return account.uploads_today, account.project.uploads_used


# --- account_book_upload ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_booking_takes_a_slot_on_that_account_and_a_call_on_its_project():
    project = GoogleProjectFactory()
    account = YouTubeAccountFactory(project=project, uploads_today=2)
    other = YouTubeAccountFactory(project=project, uploads_today=0, health_score=100)

    booked = account_book_upload(account_id=account.pk)

    assert booked == account  # the account named, never "the best one"
    assert (booked.uploads_today, booked.project.uploads_used) == (3, 1)
    assert counters(account) == (3, 1)
    assert counters(other) == (0, 1)


@pytest.mark.django_db
def test_a_full_account_is_refused_until_the_next_pacific_midnight():
    with time_machine.travel(dt.datetime(2026, 7, 1, 22, 30, tzinfo=UTC), tick=False):  # 15:30 PDT
        account = YouTubeAccountFactory(uploads_today=5, daily_upload_cap=5)

        with pytest.raises(AccountFullError) as info:
            account_book_upload(account_id=account.pk)

    error = info.value
    assert isinstance(error, AccountUnavailableError)  # callers catching the parent still wait
    assert error.available_at == dt.datetime(2026, 7, 2, 7, 0, tzinfo=UTC)  # 00:00 PDT
    assert str(error.available_at.tzinfo) == "America/Los_Angeles"
    assert error.status_code == 409
    assert error.extra["available_at"] == error.available_at.isoformat()
    assert counters(account) == (5, 0)


@pytest.mark.django_db
def test_a_resting_account_is_refused_until_its_rest_ends_or_the_reset_whichever_is_later():
    now = timezone.now()
    soon = now + dt.timedelta(hours=2)
    resting = YouTubeAccountFactory(rested_until=soon)
    with pytest.raises(AccountFullError) as info:
        account_book_upload(account_id=resting.pk)
    assert info.value.available_at == soon

    # Resting and its cap used: the later of the rest's end and the reset.
    both = YouTubeAccountFactory(rested_until=now + dt.timedelta(minutes=1), uploads_today=5)
    with pytest.raises(AccountFullError) as info:
        account_book_upload(account_id=both.pk)
    assert info.value.available_at == max(now + dt.timedelta(minutes=1), next_reset_at(now))
    long_rest = now + dt.timedelta(hours=30)
    YouTubeAccount.objects.filter(pk=both.pk).update(rested_until=long_rest)
    with pytest.raises(AccountFullError) as info:
        account_book_upload(account_id=both.pk)
    assert info.value.available_at == long_rest

    # A rest that has run out no longer counts.
    done = YouTubeAccountFactory(rested_until=now - dt.timedelta(minutes=1))
    assert account_book_upload(account_id=done.pk).uploads_today == 1


@pytest.mark.django_db
def test_accounts_that_cannot_upload_at_all_are_unavailable_not_full():
    cases = {
        "needs reconnecting": YouTubeAccountFactory(is_active=False, needs_reauth=True),
        "is deactivated": YouTubeAccountFactory(is_active=False, deactivated_reason="5 consecutive errors"),
        "has no Google project": YouTubeAccountFactory(project=None),
        "The Google project of": YouTubeAccountFactory(project=GoogleProjectFactory(is_active=False)),
    }
    for words, account in cases.items():
        with pytest.raises(AccountUnavailableError) as info:
            account_book_upload(account_id=account.pk)
        assert not isinstance(info.value, AccountFullError), words
        assert words in info.value.message
        assert YouTubeAccount.objects.get(pk=account.pk).uploads_today == 0
    with pytest.raises(AccountUnavailableError, match="Unknown YouTube account"):
        account_book_upload(account_id="6d1b1f2e-0000-4000-8000-000000000000")


@pytest.mark.django_db
def test_a_spent_project_bucket_refuses_and_rolls_the_account_slot_back():
    full = GoogleProjectFactory(upload_limit=10, uploads_used=10)
    account = YouTubeAccountFactory(project=full)
    with pytest.raises(QuotaExhaustedError) as info:
        account_book_upload(account_id=account.pk)
    assert (info.value.bucket, info.value.project_id) == ("uploads", full.pk)
    assert info.value.next_reset_at == next_reset_at()
    assert counters(account) == (0, 10)

    # Units past 80% (with room for the 50-unit thumbnail) refuse too: 7951 + 50 > 8000.
    heavy = YouTubeAccountFactory(project=GoogleProjectFactory(units_limit=10_000, units_used=7_951))
    with pytest.raises(QuotaExhaustedError) as info:
        account_book_upload(account_id=heavy.pk)
    assert info.value.bucket == "units"
    light = YouTubeAccountFactory(project=GoogleProjectFactory(units_limit=10_000, units_used=7_950))
    assert account_book_upload(account_id=light.pk).uploads_today == 1


@pytest.mark.django_db
def test_release_gives_the_slot_back():
    account = YouTubeAccountFactory()
    account_release_upload_slot(account=account_book_upload(account_id=account.pk))
    assert counters(account) == (0, 0)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_20_concurrent_bookings_on_an_account_with_cap_5_book_exactly_5():
    project = GoogleProjectFactory(upload_limit=100)
    account = YouTubeAccountFactory(project=project, daily_upload_cap=5)

    results = race(lambda: account_book_upload(account_id=account.pk).uploads_today, 20)

    booked = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert sorted(booked) == [1, 2, 3, 4, 5]
    assert len(refused) == 15 and all(isinstance(r, AccountFullError) for r in refused)
    assert all(r.available_at == next_reset_at() for r in refused)
    assert counters(account) == (5, 5)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_on_three_accounts_never_pass_their_project_bucket():
    project = GoogleProjectFactory(upload_limit=7)
    accounts = [YouTubeAccountFactory(project=project, daily_upload_cap=5) for _ in range(3)]

    results = race(lambda i: account_book_upload(account_id=accounts[i % 3].pk).pk, 24, indexed=True)

    booked = Counter(r for r in results if not isinstance(r, Exception))
    refused = [r for r in results if isinstance(r, Exception)]
    assert sum(booked.values()) == 7
    assert all(isinstance(r, (QuotaExhaustedError, AccountFullError)) for r in refused)
    project.refresh_from_db()
    assert project.uploads_used == 7
    for account in accounts:
        account.refresh_from_db()
        assert account.uploads_today == booked[account.pk] <= 5


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_bookings_releases_and_metered_calls_on_one_account_at_once_never_deadlock():
    project = GoogleProjectFactory(upload_limit=100, units_limit=100_000)
    account = YouTubeAccountFactory(project=project, daily_upload_cap=100)

    def work(i: int):
        if i % 3 == 0:
            return quota_reserve(project=project, method="thumbnails.set", account=account).cost
        booked = account_book_upload(account_id=account.pk)
        if i % 3 == 2:
            account_release_upload_slot(account=booked)
        return booked.uploads_today

    results = race(work, 30, indexed=True)

    assert not [r for r in results if isinstance(r, Exception)]
    account.refresh_from_db()
    project.refresh_from_db()
    assert (account.uploads_today, project.uploads_used) == (10, 10)
    assert (account.quota_used_today, project.units_used) == (500, 500)


@pytest.mark.django_db
def test_a_day_of_uploads_lands_each_video_on_its_own_channel(fake_youtube, tmp_path):
    alpha = make_project(fake_youtube, "alpha", upload_limit=12)
    beta = make_project(fake_youtube, "beta", upload_limit=100)
    accounts = [connect_account(fake_youtube, alpha, f"a{n}@example.com") for n in range(1, 4)]
    accounts += [connect_account(fake_youtube, beta, f"b{n}@example.com", reserve=n == 3) for n in range(1, 4)]
    media = tmp_path / "tiny.mp4"
    media.write_bytes(b"v" * 1000)

    uploaded: dict = {a.pk: [] for a in accounts}
    waits: dict = {}
    for account in accounts:  # each channel publishes until its own account says "wait"
        while True:
            try:
                booked = account_book_upload(account_id=account.pk)
            except (AccountFullError, QuotaExhaustedError) as exc:
                waits[account.pk] = exc
                break
            result = youtube_upload(upload_request(booked, (media, "")))
            assert result.account_id == account.pk
            uploaded[account.pk].append(result.youtube_video_id)

    # alpha's 12 calls: 5 + 5 + 2, then its third channel waits for the project; beta: 5 + 5 + reserve 2.
    assert [len(uploaded[a.pk]) for a in accounts] == [5, 5, 2, 5, 5, 2]
    assert isinstance(waits[accounts[2].pk], QuotaExhaustedError)
    assert all(isinstance(waits[a.pk], AccountFullError) for a in accounts if a.pk != accounts[2].pk)
    for account in accounts:
        on_channel = sorted(v["id"] for v in fake_youtube.videos_of(account.channel_id))
        assert on_channel == sorted(uploaded[account.pk])  # every video on its own channel, none elsewhere
    assert fake_youtube.projects[alpha.client_id].used["uploads"] == 12
    assert fake_youtube.projects[beta.client_id].used["uploads"] == 12


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_50_concurrent_metered_calls_never_pass_the_units_limit():
    project = GoogleProjectFactory(units_limit=1_020)

    outcomes = race(lambda: quota_reserve(project=project, method="thumbnails.set"), 50)  # 50 units each

    project.refresh_from_db()
    assert len(outcomes) == 50
    assert sum(1 for o in outcomes if isinstance(o, QuotaExhaustedError)) == 30
    assert sum(1 for o in outcomes if not isinstance(o, Exception)) == 20
    assert project.units_used == 1_000


# --- pool_account_pick ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_pick_takes_a_healthy_free_platform_account_on_the_project_with_most_headroom(user):
    roomy = GoogleProjectFactory(upload_limit=100, uploads_used=10)  # 90 left
    tight = GoogleProjectFactory(upload_limit=100, uploads_used=60)  # 40 left
    YouTubeAccountFactory(project=tight, uploads_today=0, health_score=100)  # less headroom
    busy = YouTubeAccountFactory(project=roomy, uploads_today=3, health_score=100)
    weaker = YouTubeAccountFactory(project=roomy, uploads_today=1, health_score=70)
    best = YouTubeAccountFactory(project=roomy, uploads_today=1, health_score=90)
    # Never: a customer's own channel, a state other than ok, a dead project, an error streak.
    YouTubeAccountFactory(project=roomy, owner=user, uploads_today=0)
    YouTubeAccountFactory(project=roomy, is_active=False, needs_reauth=True, uploads_today=0)
    YouTubeAccountFactory(project=roomy, is_active=False, uploads_today=0)
    YouTubeAccountFactory(project=roomy, rested_until=timezone.now() + dt.timedelta(hours=1), uploads_today=0)
    YouTubeAccountFactory(project=GoogleProjectFactory(is_active=False), uploads_today=0)
    YouTubeAccountFactory(project=roomy, consecutive_errors=3, uploads_today=0)
    YouTubeAccountFactory(project=None, uploads_today=0)
    reserve = YouTubeAccountFactory(project=tight, is_reserve=True)

    assert pool_account_pick(reserve=False, exclude_account_ids=set()) == best
    assert pool_account_pick(reserve=False, exclude_account_ids={best.pk}) == weaker
    assert pool_account_pick(reserve=False, exclude_account_ids={best.pk, weaker.pk}) == busy
    tight_one = pool_account_pick(reserve=False, exclude_account_ids={best.pk, weaker.pk, busy.pk})
    assert tight_one.project == tight and not tight_one.is_reserve
    assert pool_account_pick(reserve=False, exclude_account_ids={best.pk, weaker.pk, busy.pk, tight_one.pk}) is None
    assert pool_account_pick(reserve=True, exclude_account_ids=[]) == reserve
    assert pool_account_pick(reserve=True, exclude_account_ids=[reserve.pk, None]) is None


# --- account_record_result ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_record_result_health_arithmetic_and_deactivation_after_five_errors(state_events):
    account = YouTubeAccountFactory(health_score=Decimal("99.5"), consecutive_errors=2)
    account_record_result(account=account, success=True)
    account.refresh_from_db()
    assert (account.health_score, account.consecutive_errors) == (Decimal(100), 0)

    for _ in range(4):
        account_record_result(account=account, success=False, error=http_error(500, "backendError"))
    account.refresh_from_db()
    assert (account.health_score, account.consecutive_errors, account.total_errors) == (60, 4, 4)
    assert account.is_active and account.last_error_at is not None
    assert state_events == []  # errors alone are not a change of state

    account_record_result(account=account, success=False, error=http_error(503, "backendError"))
    account.refresh_from_db()
    assert not account.is_active
    assert account.deactivated_reason == "5 consecutive errors"
    assert not account.needs_reauth
    assert [(e["account_id"], e["state"]) for e in state_events] == [(account.pk, "deactivated")]

    account_reactivate(account=account)
    account.refresh_from_db()
    assert account.is_active and account.consecutive_errors == 0 and account.deactivated_reason == ""
    assert [e["state"] for e in state_events] == ["deactivated", "ok"]


@pytest.mark.django_db
def test_health_never_drops_below_zero():
    account = YouTubeAccountFactory(health_score=5)
    account_record_result(account=account, success=False, error=http_error(400, "badRequest"))
    account.refresh_from_db()
    assert account.health_score == 0


@pytest.mark.django_db
def test_quota_error_marks_the_bucket_spent_without_hurting_the_account(state_events):
    account = YouTubeAccountFactory()
    account_record_result(
        account=account,
        success=False,
        error=http_error(403, "quotaExceeded", "https://x/upload/youtube/v3/videos?uploadType=resumable"),
    )
    account.refresh_from_db()
    project = GoogleProject.objects.get(pk=account.project_id)
    assert project.uploads_used == project.upload_limit
    assert project.units_used == 0
    assert (account.health_score, account.consecutive_errors) == (100, 0)
    assert state_events == []
    with pytest.raises(QuotaExhaustedError):
        account_book_upload(account_id=account.pk)


@pytest.mark.django_db(transaction=True)
def test_invalid_grant_marks_needs_reconnect_once_and_announces_it_inside_the_transaction(state_events):
    account = YouTubeAccountFactory()
    revoked = RefreshError(
        "invalid_grant: Token has been expired or revoked.",
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )

    account_record_result(account=account, success=False, error=revoked)
    account_record_result(account=account, success=False, error=revoked)  # a second worker: no new event

    account.refresh_from_db()
    assert (account.is_active, account.needs_reauth, account.deactivated_reason) == (
        False,
        True,
        "reauthorisation needed",
    )
    assert [(e["account_id"], e["state"], e["in_transaction"]) for e in state_events] == [
        (account.pk, "needs_reconnect", True)
    ]


@pytest.mark.parametrize(
    ("status", "reason", "kind"),
    [
        (403, "quotaExceeded", ErrorKind.QUOTA),
        (403, "dailyLimitExceeded", ErrorKind.QUOTA),
        (400, "uploadLimitExceeded", ErrorKind.UPLOAD_LIMIT),
        (403, "rateLimitExceeded", ErrorKind.RATE_LIMIT),
        (403, "userRateLimitExceeded", ErrorKind.RATE_LIMIT),
        (503, "backendError", ErrorKind.SERVER),
        (500, "internalError", ErrorKind.SERVER),
        (401, "authError", ErrorKind.REAUTH),
        (400, "invalidTitle", ErrorKind.CLIENT),
    ],
)
def test_google_errors_are_classified_from_the_body(status, reason, kind):
    assert classify_error(http_error(status, reason)) == kind


def test_invalid_grant_refresh_error_is_reauth():
    error = RefreshError(
        "invalid_grant: Token has been expired or revoked.",
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    assert classify_error(error) == ErrorKind.REAUTH
    assert classify_error(ConnectionResetError()) == ErrorKind.TRANSPORT
