import pytest
from django.core.cache import caches  # noqa: F401

from videos.models import Video
from youtube_pool.exceptions import QuotaExhaustedError, ReauthorizationRequiredError, UploadLimitExceededError
from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.services import (
    account_acquire_for_upload,
    video_upload,
    video_upload_with_rotation,
)

from .conftest import connect_account, make_project

pytestmark = pytest.mark.django_db


def test_upload_sends_chunks_stores_ids_and_sets_thumbnail(fake_youtube, ready_video, video_files):
    project = make_project(fake_youtube, "alpha")
    connect_account(fake_youtube, project, "a1@example.com")
    account = account_acquire_for_upload()

    result = video_upload(video=ready_video, account=account)

    video = Video.objects.get(pk=ready_video.pk)
    assert video.youtube_video_id == result["youtube_video_id"]
    assert video.youtube_url == f"https://www.youtube.com/watch?v={video.youtube_video_id}"
    assert video.youtube_account_used_id == account.pk
    assert video.status == "ready"  # the status belongs to the pipeline
    assert result["thumbnail"] == "set"
    uploaded = fake_youtube.videos[video.youtube_video_id]
    assert uploaded["size"] == video_files[0].stat().st_size
    assert uploaded["snippet"]["title"] == "A video"
    assert uploaded["snippet"]["categoryId"] == "28"
    assert f"ytempire-{video.pk.hex}" in uploaded["snippet"]["tags"]
    assert uploaded["status"]["privacyStatus"] == "unlisted"
    assert uploaded["status"]["selfDeclaredMadeForKids"] is False
    assert fake_youtube.thumbnails[video.youtube_video_id] == video_files[1].stat().st_size
    assert fake_youtube.count("PUT", "/upload/youtube/v3/videos") == 4
    project.refresh_from_db()
    # One upload call (booked at acquisition, not charged twice) and the 50-unit thumbnail.
    assert (project.uploads_used, project.units_used) == (1, 50)
    assert fake_youtube.projects[project.client_id].used == {"uploads": 1, "searches": 0, "units": 50}
    account.refresh_from_db()
    assert (account.uploads_today, account.total_uploads, account.quota_used_today) == (1, 1, 50)
    assert account.last_upload_at is not None


def test_upload_interrupted_by_503_resumes_the_same_session(fake_youtube, ready_video, video_files):
    project = make_project(fake_youtube, "alpha")
    connect_account(fake_youtube, project, "a1@example.com")
    account = account_acquire_for_upload()
    fake_youtube.fail_next(1, status=503, match="upload_chunk")

    result = video_upload(video=ready_video, account=account)

    assert fake_youtube.count("POST", "/upload/youtube/v3/videos") == 1  # one session, not restarted
    # 4 chunks + the failed one + the status query (bytes */N) that resumed it.
    assert fake_youtube.count("PUT", "/upload/youtube/v3/videos") == 6
    assert fake_youtube.videos[result["youtube_video_id"]]["size"] == video_files[0].stat().st_size
    assert len(fake_youtube.videos) == 1
    account.refresh_from_db()
    assert account.consecutive_errors == 0


def test_unknown_outcome_after_last_chunk_does_not_upload_twice(fake_youtube, ready_video):
    project = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, project, "a1@example.com")
    account = account_acquire_for_upload()
    fake_youtube.drop_final_chunk_responses(times=100)  # the session never answers again

    result = video_upload(video=ready_video, account=account)

    assert len(fake_youtube.videos) == 1
    assert fake_youtube.count("POST", "/upload/youtube/v3/videos") == 1
    assert result["youtube_video_id"] in fake_youtube.videos
    assert fake_youtube.count("GET", "/youtube/v3/playlistItems") == 1  # the existence check found it
    assert Video.objects.get(pk=ready_video.pk).youtube_video_id == result["youtube_video_id"]
    assert len(fake_youtube.videos_of(connected.channel_id)) == 1


def test_dropped_final_answer_is_recovered_by_the_session_status_query(fake_youtube, ready_video):
    project = make_project(fake_youtube, "alpha")
    connect_account(fake_youtube, project, "a1@example.com")
    account = account_acquire_for_upload()
    fake_youtube.drop_final_chunk_responses(times=2)  # the answer and httplib2's own retry are lost

    result = video_upload(video=ready_video, account=account)

    assert len(fake_youtube.videos) == 1
    assert result["youtube_video_id"] in fake_youtube.videos
    assert fake_youtube.count("GET", "/youtube/v3/playlistItems") == 0


def test_retry_after_an_interrupted_attempt_finds_the_earlier_upload(fake_youtube, ready_video):
    project = make_project(fake_youtube, "alpha")
    connect_account(fake_youtube, project, "a1@example.com")
    account = account_acquire_for_upload()
    fake_youtube.drop_final_chunk_responses(times=100)
    fake_youtube.fail_next(100, status=503, match="api")  # the existence check cannot run either
    with pytest.raises(Exception):  # noqa: B017
        video_upload(video=ready_video, account=account)
    assert len(fake_youtube.videos) == 1
    assert Video.objects.get(pk=ready_video.pk).metadata["youtube_upload"]["status"] == "started"
    fake_youtube.failures.clear()

    # The worker retries later, with whatever account it gets: the earlier upload is found.
    retry_account = account_acquire_for_upload()
    result = video_upload(video=ready_video, account=retry_account)

    assert len(fake_youtube.videos) == 1
    assert result["youtube_video_id"] in fake_youtube.videos
    assert fake_youtube.count("POST", "/upload/youtube/v3/videos") == 1


def test_quota_exceeded_rotates_to_another_projects_account(fake_youtube, ready_video):
    alpha = make_project(fake_youtube, "alpha")
    beta = make_project(fake_youtube, "beta")
    connect_account(fake_youtube, alpha, "a1@example.com", health_score=100)
    connect_account(fake_youtube, beta, "b1@example.com", health_score=90)
    # Someone else spent alpha's upload bucket at Google; our meter does not know yet.
    fake_youtube.projects[alpha.client_id].used["uploads"] = 100

    result = video_upload_with_rotation(video=ready_video)

    video = Video.objects.get(pk=ready_video.pk)
    assert video.youtube_account_used.email == "b1@example.com"
    assert result["youtube_video_id"] in fake_youtube.videos
    alpha.refresh_from_db()
    assert alpha.uploads_used == alpha.upload_limit  # marked spent until the reset
    a1 = YouTubeAccount.objects.get(email="a1@example.com")
    assert (a1.health_score, a1.is_active) == (100, True)  # the project's fault, not the account's


def test_quota_exceeded_is_raised_with_the_next_reset(fake_youtube, ready_video):
    alpha = make_project(fake_youtube, "alpha")
    connect_account(fake_youtube, alpha, "a1@example.com")
    fake_youtube.projects[alpha.client_id].used["uploads"] = 100
    account = account_acquire_for_upload()
    with pytest.raises(QuotaExhaustedError) as info:
        video_upload(video=ready_video, account=account)
    assert info.value.bucket == "uploads"
    assert info.value.extra["next_reset_at"]
    assert GoogleProject.objects.get(pk=alpha.pk).uploads_used == 100


def test_upload_limit_exceeded_rests_the_account_and_lowers_its_cap(fake_youtube, ready_video):
    alpha = make_project(fake_youtube, "alpha")
    connect_account(fake_youtube, alpha, "a1@example.com", upload_cap=0)
    account = account_acquire_for_upload()
    YouTubeAccount.objects.filter(pk=account.pk).update(uploads_today=3)
    account.refresh_from_db()

    with pytest.raises(UploadLimitExceededError):
        video_upload(video=ready_video, account=account)

    account.refresh_from_db()
    assert account.rested_until is not None
    assert 23.9 < (account.rested_until - account.last_error_at).total_seconds() / 3600 <= 24
    assert account.daily_upload_cap == 2
    assert account.health_score == 90
    assert not fake_youtube.videos


def test_invalid_grant_deactivates_and_flags_reauthorisation(fake_youtube, ready_video, caplog):
    alpha = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, alpha, "a1@example.com")
    fake_youtube.revoke(connected.fake_refresh_token)  # the user revoked access; the token is dead
    account = account_acquire_for_upload()

    with caplog.at_level("ERROR", logger="youtube_pool"), pytest.raises(ReauthorizationRequiredError):
        video_upload(video=ready_video, account=account)

    account.refresh_from_db()
    assert (account.is_active, account.needs_reauth) == (False, True)
    assert account.deactivated_reason == "reauthorisation needed"
    assert any("reauthorisation" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    assert not fake_youtube.videos


def test_failed_thumbnail_keeps_the_upload_and_is_retried_on_its_own(
    fake_youtube, ready_video, django_capture_on_commit_callbacks
):
    alpha = make_project(fake_youtube, "alpha")
    connect_account(fake_youtube, alpha, "a1@example.com")
    account = account_acquire_for_upload()
    fake_youtube.fail_next(3, status=503, match="thumbnail")

    with django_capture_on_commit_callbacks() as callbacks:
        result = video_upload(video=ready_video, account=account)

    assert result["thumbnail"] == "pending"
    video = Video.objects.get(pk=ready_video.pk)
    assert video.youtube_video_id == result["youtube_video_id"]
    assert video.metadata["youtube_upload"]["thumbnail"] == "pending"
    assert len(callbacks) == 1
    callbacks[0]()  # the retry task (eager in tests) now succeeds
    assert Video.objects.get(pk=ready_video.pk).metadata["youtube_upload"]["thumbnail"] == "set"
    assert result["youtube_video_id"] in fake_youtube.thumbnails


def test_expired_access_token_is_refreshed_and_stored(fake_youtube, ready_video):
    alpha = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, alpha, "a1@example.com")
    fake_youtube.expire_access_tokens()
    before = YouTubeAccount.objects.get(pk=connected.pk).credentials_encrypted
    account = account_acquire_for_upload()

    video_upload(video=ready_video, account=account)

    account.refresh_from_db()
    assert account.credentials_encrypted != before
    assert fake_youtube.count("POST", "/token") >= 1


def test_uploading_again_is_idempotent(fake_youtube, ready_video):
    alpha = make_project(fake_youtube, "alpha")
    connect_account(fake_youtube, alpha, "a1@example.com")
    first = video_upload(video=ready_video, account=account_acquire_for_upload())
    second = video_upload(video=ready_video, account=YouTubeAccount.objects.get())
    assert first["youtube_video_id"] == second["youtube_video_id"]
    assert len(fake_youtube.videos) == 1


def test_sandbox_account_uploads_offline(user, video_files):
    from .factories import YouTubeAccountFactory, make_channel, make_video

    account = YouTubeAccountFactory(is_sandbox=True, project__is_sandbox=True)
    video = make_video(make_channel(user), video_path=str(video_files[0]))
    result = video_upload(video=video, account=account)
    assert result["sandbox"] is True
    assert result["youtube_url"].startswith("https://sandbox.youtube.invalid/")
