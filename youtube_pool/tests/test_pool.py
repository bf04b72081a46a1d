import datetime as dt
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from googleapiclient.errors import HttpError
from httplib2 import Response

from videos.models import Video
from youtube_pool.exceptions import PoolExhaustedError, QuotaExhaustedError
from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.services import (
    account_acquire_for_upload,
    account_reactivate,
    account_record_result,
    account_release_upload_slot,
    pool_capacity,
    quota_reserve,
    video_upload_with_rotation,
)
from youtube_pool.services.errors import ErrorKind, classify_error

from .conftest import connect_account, make_project
from .factories import GoogleProjectFactory, YouTubeAccountFactory, make_channel, make_video


def http_error(status: int, reason: str, uri: str = "https://youtube.googleapis.com/youtube/v3/videos") -> HttpError:
    body = f'{{"error": {{"code": {status}, "message": "m", "errors": [{{"reason": "{reason}"}}]}}}}'
    return HttpError(Response({"status": status}), body.encode(), uri=uri)


@pytest.mark.django_db
def test_acquire_prefers_fewest_uploads_then_best_health_and_books_the_slot():
    project = GoogleProjectFactory()
    busy = YouTubeAccountFactory(project=project, uploads_today=2, health_score=100)
    healthy = YouTubeAccountFactory(project=project, uploads_today=1, health_score=99)
    weaker = YouTubeAccountFactory(project=project, uploads_today=1, health_score=80)

    account = account_acquire_for_upload()

    assert account == healthy
    assert account.uploads_today == 2
    project.refresh_from_db()
    assert project.uploads_used == 1
    assert {a.pk: a.uploads_today for a in YouTubeAccount.objects.all()} == {busy.pk: 2, healthy.pk: 2, weaker.pk: 1}


@pytest.mark.django_db
def test_acquire_skips_capped_resting_erroring_and_reauth_accounts_then_uses_reserve():
    project = GoogleProjectFactory()
    YouTubeAccountFactory(project=project, uploads_today=5)
    YouTubeAccountFactory(project=project, rested_until=timezone.now() + dt.timedelta(hours=3))
    YouTubeAccountFactory(project=project, consecutive_errors=3)
    YouTubeAccountFactory(project=project, is_active=False, needs_reauth=True)
    YouTubeAccountFactory(project=GoogleProjectFactory(is_active=False))
    reserve = YouTubeAccountFactory(project=project, is_reserve=True)

    assert account_acquire_for_upload() == reserve
    assert account_acquire_for_upload() == reserve
    with pytest.raises(PoolExhaustedError) as info:
        account_acquire_for_upload()  # the reserve's cap is 2
    reset = info.value.next_reset_at
    assert reset.astimezone(dt.UTC) > timezone.now()
    assert (reset.hour, reset.minute, str(reset.tzinfo)) == (0, 0, "America/Los_Angeles")
    assert info.value.status_code == 503
    assert info.value.extra["retry_after"] > 0


@pytest.mark.django_db
def test_acquire_keeps_projects_under_80_percent_of_units_with_room_for_the_thumbnail():
    full = GoogleProjectFactory(units_limit=10_000, units_used=7_951)  # 7951 + 50 > 8000
    room = GoogleProjectFactory(units_limit=10_000, units_used=7_950)
    YouTubeAccountFactory(project=full, health_score=100)
    ok = YouTubeAccountFactory(project=room, health_score=50)
    assert account_acquire_for_upload() == ok


@pytest.mark.django_db
def test_an_expired_rest_puts_the_account_back_in_rotation():
    account = YouTubeAccountFactory(rested_until=timezone.now() - dt.timedelta(minutes=1))
    assert account_acquire_for_upload() == account


@pytest.mark.django_db
def test_release_gives_the_slot_back():
    account = YouTubeAccountFactory()
    account_acquire_for_upload()
    account_release_upload_slot(account=account)
    account.refresh_from_db()
    account.project.refresh_from_db()
    assert (account.uploads_today, account.project.uploads_used) == (0, 0)


@pytest.mark.django_db
def test_rotation_across_15_accounts_on_2_projects_until_exhausted(fake_youtube, user, tmp_path):
    alpha = make_project(fake_youtube, "alpha", upload_limit=20)
    beta = make_project(fake_youtube, "beta", upload_limit=100)
    for n in range(1, 9):  # alpha: 7 active + 1 reserve
        connect_account(fake_youtube, alpha, f"a{n}@example.com", reserve=n == 8, upload_cap=5)
    for n in range(1, 8):  # beta: 5 active + 2 reserve
        connect_account(fake_youtube, beta, f"b{n}@example.com", reserve=n >= 6, upload_cap=5)
    media = tmp_path / "tiny.mp4"
    media.write_bytes(b"v" * 1000)
    channel = make_channel(user)

    used = []
    while True:
        video = make_video(channel, video_path=str(media), thumbnail_path="")
        try:
            video_upload_with_rotation(video=video)
        except PoolExhaustedError:
            break
        used.append(Video.objects.select_related("youtube_account_used").get(pk=video.pk).youtube_account_used)

    # alpha: its 20 upload calls; beta: 5 active x 5 + 2 reserve x 2.
    assert len(used) == 49
    assert [a.is_reserve for a in used] == [False] * 45 + [True] * 4
    assert {a.project_id for a in used[45:]} == {beta.pk}
    assert Counter(a.project_id for a in used) == {alpha.pk: 20, beta.pk: 29}
    for account in YouTubeAccount.objects.all():
        assert account.uploads_today <= account.daily_upload_cap
        assert len(fake_youtube.videos_of(account.channel_id)) == account.uploads_today
    alpha.refresh_from_db()
    beta.refresh_from_db()
    assert (alpha.uploads_used, beta.uploads_used) == (20, 29)
    assert fake_youtube.projects[alpha.client_id].used["uploads"] == 20
    assert fake_youtube.projects[beta.client_id].used["uploads"] == 29
    assert len(fake_youtube.videos) == 49
    assert pool_capacity()["uploads_possible_today"] == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_50_concurrent_acquisitions_never_pass_a_cap_or_a_bucket():
    alpha = GoogleProjectFactory(upload_limit=20)
    beta = GoogleProjectFactory(upload_limit=15)
    for n in range(15):
        YouTubeAccountFactory(project=alpha if n < 8 else beta, is_reserve=n in (7, 13, 14))
    barrier = threading.Barrier(50)
    results: list = []

    def worker():
        try:
            barrier.wait()
            account = account_acquire_for_upload()
            results.append(account.pk)
        except PoolExhaustedError:
            results.append(None)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    booked = [r for r in results if r]
    assert len(results) == 50
    assert len(booked) == 35  # both projects' upload buckets, exactly
    alpha.refresh_from_db()
    beta.refresh_from_db()
    assert (alpha.uploads_used, beta.uploads_used) == (20, 15)
    per_account = Counter(booked)
    for account in YouTubeAccount.objects.all():
        assert account.uploads_today == per_account[account.pk] <= account.daily_upload_cap


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_50_concurrent_metered_calls_never_pass_the_units_limit():
    project = GoogleProjectFactory(units_limit=1_020)
    barrier = threading.Barrier(50)
    outcomes: list = []

    def worker():
        try:
            barrier.wait()
            quota_reserve(project=project, method="thumbnails.set")  # 50 units
            outcomes.append(True)
        except QuotaExhaustedError:
            outcomes.append(False)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    project.refresh_from_db()
    assert outcomes.count(True) == 20
    assert project.units_used == 1_000


@pytest.mark.django_db
def test_record_result_health_arithmetic_and_deactivation_after_five_errors(caplog):
    account = YouTubeAccountFactory(health_score=Decimal("99.5"), consecutive_errors=2)
    account_record_result(account=account, success=True)
    account.refresh_from_db()
    assert (account.health_score, account.consecutive_errors) == (Decimal(100), 0)

    for _ in range(4):
        account_record_result(account=account, success=False, error=http_error(500, "backendError"))
    account.refresh_from_db()
    assert (account.health_score, account.consecutive_errors, account.total_errors) == (60, 4, 4)
    assert account.is_active and account.last_error_at is not None

    account_record_result(account=account, success=False, error=http_error(503, "backendError"))
    account.refresh_from_db()
    assert not account.is_active
    assert account.deactivated_reason == "5 consecutive errors"
    assert not account.needs_reauth

    account_reactivate(account=account)
    account.refresh_from_db()
    assert account.is_active and account.consecutive_errors == 0 and account.deactivated_reason == ""


@pytest.mark.django_db
def test_health_never_drops_below_zero():
    account = YouTubeAccountFactory(health_score=5)
    account_record_result(account=account, success=False, error=http_error(400, "badRequest"))
    account.refresh_from_db()
    assert account.health_score == 0


@pytest.mark.django_db
def test_quota_error_marks_the_bucket_spent_without_hurting_the_account():
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
    with pytest.raises(PoolExhaustedError):
        account_acquire_for_upload()


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
    from google.auth.exceptions import RefreshError

    error = RefreshError(
        "invalid_grant: Token has been expired or revoked.",
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    assert classify_error(error) == ErrorKind.REAUTH
    assert classify_error(ConnectionResetError()) == ErrorKind.TRANSPORT
