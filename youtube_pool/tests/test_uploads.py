import uuid

import pytest

from youtube_pool.exceptions import (
    AccountFullError,
    AccountUnavailableError,
    QuotaExhaustedError,
    ReauthorizationRequiredError,
    UploadLimitExceededError,
    YouTubePoolError,
    YouTubeTransientError,
)
from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.services import (
    UploadResult,
    account_book_upload,
    account_state,
    next_reset_at,
    upload_marker,
    youtube_thumbnail_set,
    youtube_upload,
)
from youtube_pool.tasks import youtube_thumbnail_set_task

from .conftest import connect_account, make_project, upload_request
from .factories import YouTubeAccountFactory

pytestmark = pytest.mark.django_db


def test_upload_sends_chunks_returns_the_result_and_sets_the_thumbnail(fake_youtube, video_files):
    project = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, project, "a1@example.com")
    account = account_book_upload(account_id=connected.pk)
    request = upload_request(account, video_files)

    result = youtube_upload(request)

    assert isinstance(result, UploadResult)
    assert result.youtube_url == f"https://www.youtube.com/watch?v={result.youtube_video_id}"
    assert (result.account_id, result.thumbnail, result.sandbox, result.found_existing) == (
        account.pk,
        "set",
        False,
        False,
    )
    uploaded = fake_youtube.videos[result.youtube_video_id]
    assert uploaded["size"] == video_files[0].stat().st_size
    assert uploaded["snippet"]["title"] == "A video"
    assert uploaded["snippet"]["categoryId"] == "28"
    assert uploaded["snippet"]["tags"] == ["tech", f"ytempire-{uuid.UUID(request.reference).hex}"]
    assert uploaded["status"]["privacyStatus"] == "unlisted"
    assert uploaded["status"]["selfDeclaredMadeForKids"] is False
    assert fake_youtube.thumbnails[result.youtube_video_id] == video_files[1].stat().st_size
    assert fake_youtube.count("PUT", "/upload/youtube/v3/videos") == 4
    project.refresh_from_db()
    # One upload call (booked at acquisition, not charged twice) and the 50-unit thumbnail.
    assert (project.uploads_used, project.units_used) == (1, 50)
    assert fake_youtube.projects[project.client_id].used == {"uploads": 1, "searches": 0, "units": 50}
    account.refresh_from_db()
    assert (account.uploads_today, account.total_uploads, account.quota_used_today) == (1, 1, 50)
    assert account.last_upload_at is not None


def test_empty_category_and_privacy_take_the_settings_defaults(fake_youtube, video_files, settings):
    settings.YOUTUBE_DEFAULT_CATEGORY_ID = "27"
    settings.YOUTUBE_DEFAULT_PRIVACY_STATUS = "public"
    connected = connect_account(fake_youtube, make_project(fake_youtube, "alpha"), "a1@example.com")
    request = upload_request(
        account_book_upload(account_id=connected.pk), video_files, category_id="", privacy_status=""
    )

    result = youtube_upload(request)

    uploaded = fake_youtube.videos[result.youtube_video_id]
    assert (uploaded["snippet"]["categoryId"], uploaded["status"]["privacyStatus"]) == ("27", "public")


def test_upload_interrupted_by_503_resumes_the_same_session(fake_youtube, video_files):
    project = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, project, "a1@example.com")
    account = account_book_upload(account_id=connected.pk)
    fake_youtube.fail_next(1, status=503, match="upload_chunk")

    result = youtube_upload(upload_request(account, video_files))

    assert fake_youtube.count("POST", "/upload/youtube/v3/videos") == 1  # one session, not restarted
    # 4 chunks + the failed one + the status query (bytes */N) that resumed it.
    assert fake_youtube.count("PUT", "/upload/youtube/v3/videos") == 6
    assert fake_youtube.videos[result.youtube_video_id]["size"] == video_files[0].stat().st_size
    assert len(fake_youtube.videos) == 1
    account.refresh_from_db()
    assert account.consecutive_errors == 0


def test_unknown_outcome_after_last_chunk_does_not_upload_twice(fake_youtube, video_files):
    project = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, project, "a1@example.com")
    account = account_book_upload(account_id=connected.pk)
    fake_youtube.drop_final_chunk_responses(times=100)  # the session never answers again

    result = youtube_upload(upload_request(account, video_files))

    assert len(fake_youtube.videos) == 1
    assert fake_youtube.count("POST", "/upload/youtube/v3/videos") == 1
    assert result.youtube_video_id in fake_youtube.videos
    assert result.found_existing is True
    assert fake_youtube.count("GET", "/youtube/v3/playlistItems") == 1  # the existence check found it
    assert len(fake_youtube.videos_of(connected.channel_id)) == 1


def test_dropped_final_answer_is_recovered_by_the_session_status_query(fake_youtube, video_files):
    project = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, project, "a1@example.com")
    account = account_book_upload(account_id=connected.pk)
    fake_youtube.drop_final_chunk_responses(times=2)  # the answer and httplib2's own retry are lost

    result = youtube_upload(upload_request(account, video_files))

    assert len(fake_youtube.videos) == 1
    assert result.youtube_video_id in fake_youtube.videos
    assert result.found_existing is False
    assert fake_youtube.count("GET", "/youtube/v3/playlistItems") == 0


def test_retry_after_an_interrupted_attempt_finds_the_earlier_upload(fake_youtube, video_files):
    project = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, project, "a1@example.com")
    account = account_book_upload(account_id=connected.pk)
    request = upload_request(account, video_files)
    fake_youtube.drop_final_chunk_responses(times=100)
    fake_youtube.fail_next(100, status=503, match="api")  # the existence check cannot run either
    with pytest.raises(YouTubeTransientError):  # the outcome is unknown
        youtube_upload(request)
    assert len(fake_youtube.videos) == 1
    fake_youtube.failures.clear()

    # The caller retries later (on the channel's account), naming the account it started on.
    retry_account = account_book_upload(account_id=account.pk)
    result = youtube_upload(
        upload_request(retry_account, video_files, reference=request.reference, resume_account_id=account.pk)
    )

    assert len(fake_youtube.videos) == 1
    assert result.youtube_video_id in fake_youtube.videos
    assert (result.found_existing, result.account_id, result.thumbnail) == (True, account.pk, "set")
    assert fake_youtube.count("POST", "/upload/youtube/v3/videos") == 1
    account.refresh_from_db()
    project.refresh_from_db()
    assert (account.uploads_today, project.uploads_used) == (1, 1)  # the retry's slot was given back


def test_a_retry_after_an_attempt_that_never_landed_gives_its_slot_back(fake_youtube, video_files):
    """The first attempt's chunks all failed (outcome unknown to the caller), nothing reached
    YouTube: the retry finds nothing, uploads once, and the account counts one upload, not two."""
    project = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, project, "a1@example.com")
    account = account_book_upload(account_id=connected.pk)
    request = upload_request(account, video_files)
    fake_youtube.fail_next(100, status=503, match="upload_chunk")
    with pytest.raises(YouTubeTransientError):
        youtube_upload(request)
    assert fake_youtube.videos == {}
    fake_youtube.failures.clear()

    retry_account = account_book_upload(account_id=account.pk)
    result = youtube_upload(
        upload_request(retry_account, video_files, reference=request.reference, resume_account_id=account.pk)
    )

    assert result.found_existing is False and len(fake_youtube.videos) == 1
    account.refresh_from_db()
    project.refresh_from_db()
    assert (account.uploads_today, project.uploads_used) == (1, 1)


def test_a_repeated_attempt_with_the_resume_account_never_uploads_twice(fake_youtube, video_files):
    """The worker died after the upload, before the caller saved the result: asking again is safe."""
    project = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, project, "a1@example.com")
    account = account_book_upload(account_id=connected.pk)
    first = youtube_upload(upload_request(account, video_files, reference="42"))

    again = youtube_upload(
        upload_request(
            account_book_upload(account_id=account.pk), video_files, reference="42", resume_account_id=account.pk
        )
    )

    assert again.youtube_video_id == first.youtube_video_id
    assert again.found_existing is True
    assert len(fake_youtube.videos) == 1
    account.refresh_from_db()
    assert (account.uploads_today, account.total_uploads) == (1, 1)  # the second slot was given back


def test_an_unreadable_resume_account_does_not_block_the_upload(fake_youtube, video_files):
    project = make_project(fake_youtube, "alpha")
    earlier = connect_account(fake_youtube, project, "gone@example.com")
    fake_youtube.revoke(earlier.fake_refresh_token)  # its channel can no longer be read
    connected = connect_account(fake_youtube, project, "a1@example.com")
    account = account_book_upload(account_id=connected.pk)

    result = youtube_upload(upload_request(account, video_files, resume_account_id=earlier.pk))

    assert (result.account_id, result.found_existing) == (account.pk, False)
    assert len(fake_youtube.videos) == 1


def test_quota_exceeded_marks_the_project_spent_until_the_reset_and_other_projects_go_on(fake_youtube, video_files):
    alpha = make_project(fake_youtube, "alpha")
    beta = make_project(fake_youtube, "beta")
    a1 = connect_account(fake_youtube, alpha, "a1@example.com", health_score=100)
    a2 = connect_account(fake_youtube, alpha, "a2@example.com")
    b1 = connect_account(fake_youtube, beta, "b1@example.com", health_score=90)
    # Someone else spent alpha's upload bucket at Google; our meter does not know yet.
    fake_youtube.projects[alpha.client_id].used["uploads"] = 100
    first = account_book_upload(account_id=a1.pk)

    with pytest.raises(QuotaExhaustedError):
        youtube_upload(upload_request(first, video_files))

    alpha.refresh_from_db()
    assert alpha.uploads_used == alpha.upload_limit  # marked spent until the reset
    a1.refresh_from_db()
    assert (a1.health_score, a1.is_active) == (100, True)  # the project's fault, not the account's
    # Another channel on alpha cannot book until the reset; a channel on beta can.
    with pytest.raises(QuotaExhaustedError) as info:
        account_book_upload(account_id=a2.pk)
    assert (info.value.bucket, info.value.next_reset_at) == ("uploads", next_reset_at())
    result = youtube_upload(upload_request(account_book_upload(account_id=b1.pk), video_files))
    assert result.account_id == b1.pk
    assert [v["id"] for v in fake_youtube.videos_of(b1.channel_id)] == [result.youtube_video_id]


def test_quota_exceeded_is_raised_with_the_next_reset(fake_youtube, video_files):
    alpha = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, alpha, "a1@example.com")
    fake_youtube.projects[alpha.client_id].used["uploads"] = 100
    account = account_book_upload(account_id=connected.pk)
    with pytest.raises(QuotaExhaustedError) as info:
        youtube_upload(upload_request(account, video_files))
    assert info.value.bucket == "uploads"
    assert info.value.extra["next_reset_at"]
    assert GoogleProject.objects.get(pk=alpha.pk).uploads_used == 100


def test_upload_limit_exceeded_rests_the_account_and_lowers_its_cap(fake_youtube, video_files, state_events):
    alpha = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, alpha, "a1@example.com", upload_cap=0)
    account = account_book_upload(account_id=connected.pk)
    YouTubeAccount.objects.filter(pk=account.pk).update(uploads_today=3)
    account.refresh_from_db()

    with pytest.raises(UploadLimitExceededError):
        youtube_upload(upload_request(account, video_files))

    account.refresh_from_db()
    assert account.rested_until is not None
    assert 23.9 < (account.rested_until - account.last_error_at).total_seconds() / 3600 <= 24
    assert account.daily_upload_cap == 2
    assert account.health_score == 90
    assert not fake_youtube.videos
    assert [(e["account_id"], e["state"]) for e in state_events] == [(account.pk, "resting")]
    # Booking again says when: the end of the rest (after the next reset here).
    with pytest.raises(AccountFullError) as info:
        account_book_upload(account_id=account.pk)
    assert info.value.available_at == account.rested_until


def test_invalid_grant_marks_needs_reconnect_and_announces_it(fake_youtube, video_files, caplog, state_events):
    alpha = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, alpha, "a1@example.com")
    fake_youtube.revoke(connected.fake_refresh_token)  # the user revoked access; the token is dead
    account = account_book_upload(account_id=connected.pk)

    with caplog.at_level("ERROR", logger="youtube_pool"), pytest.raises(ReauthorizationRequiredError):
        youtube_upload(upload_request(account, video_files))

    account.refresh_from_db()
    assert (account.is_active, account.needs_reauth) == (False, True)
    assert account.deactivated_reason == "reauthorisation needed"
    assert any("reauthorisation" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    assert not fake_youtube.videos
    assert account_state(account) == "needs_reconnect"
    assert len(state_events) == 1
    event = state_events[0]
    assert (event["sender"], event["account_id"], event["state"]) == (YouTubeAccount, account.pk, "needs_reconnect")
    assert "reconnect" in event["reason"] and "@" not in event["reason"]
    # The channel's next upload is refused until it is reconnected; no failover, no new event.
    with pytest.raises(AccountUnavailableError) as info:
        account_book_upload(account_id=account.pk)
    assert not isinstance(info.value, AccountFullError)
    assert len(state_events) == 1


def test_failed_thumbnail_keeps_the_upload_and_is_retried_on_its_own(
    fake_youtube, video_files, django_capture_on_commit_callbacks
):
    alpha = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, alpha, "a1@example.com")
    account = account_book_upload(account_id=connected.pk)
    fake_youtube.fail_next(3, status=503, match="thumbnail")

    with django_capture_on_commit_callbacks() as callbacks:
        result = youtube_upload(upload_request(account, video_files))

    assert result.thumbnail == "pending"
    assert result.youtube_video_id in fake_youtube.videos
    assert result.youtube_video_id not in fake_youtube.thumbnails
    assert len(callbacks) == 1
    callbacks[0]()  # the retry task (eager in tests) now succeeds
    assert fake_youtube.thumbnails[result.youtube_video_id] == video_files[1].stat().st_size


def test_a_missing_thumbnail_is_reported_and_not_retried(
    fake_youtube, video_files, tmp_path, django_capture_on_commit_callbacks
):
    connected = connect_account(fake_youtube, make_project(fake_youtube, "alpha"), "a1@example.com")
    account = account_book_upload(account_id=connected.pk)

    with django_capture_on_commit_callbacks() as callbacks:
        result = youtube_upload(
            upload_request(account, video_files, thumbnail_path=str(tmp_path / "never-rendered.jpg"))
        )

    assert (result.thumbnail, callbacks) == ("missing", [])
    assert (
        youtube_thumbnail_set_task.delay(
            account_id=str(account.pk), youtube_video_id=result.youtube_video_id, thumbnail_path="gone.jpg"
        ).get()
        is False
    )
    assert not fake_youtube.thumbnails


def test_thumbnail_set_takes_plain_values(fake_youtube, video_files):
    connected = connect_account(fake_youtube, make_project(fake_youtube, "alpha"), "a1@example.com")
    account = account_book_upload(account_id=connected.pk)
    result = youtube_upload(upload_request(account, video_files, thumbnail_path=""))
    assert result.thumbnail == "none"

    assert youtube_thumbnail_set(
        account_id=account.pk, youtube_video_id=result.youtube_video_id, thumbnail_path=str(video_files[1])
    )
    assert result.youtube_video_id in fake_youtube.thumbnails


def test_expired_access_token_is_refreshed_and_stored(fake_youtube, video_files):
    alpha = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, alpha, "a1@example.com")
    fake_youtube.expire_access_tokens()
    before = YouTubeAccount.objects.get(pk=connected.pk).credentials_encrypted
    account = account_book_upload(account_id=connected.pk)

    youtube_upload(upload_request(account, video_files))

    account.refresh_from_db()
    assert account.credentials_encrypted != before
    assert fake_youtube.count("POST", "/token") >= 1


def test_a_missing_file_releases_the_slot(fake_youtube, tmp_path):
    project = make_project(fake_youtube, "alpha")
    connected = connect_account(fake_youtube, project, "a1@example.com")
    account = account_book_upload(account_id=connected.pk)

    with pytest.raises(YouTubePoolError, match="Video file not found"):
        youtube_upload(upload_request(account, (tmp_path / "nothing.mp4", "")))

    account.refresh_from_db()
    project.refresh_from_db()
    assert (account.uploads_today, project.uploads_used) == (0, 0)
    assert fake_youtube.count("POST", "/upload/youtube/v3/videos") == 0


def test_relative_paths_are_under_the_storage_base(fake_youtube, settings):
    (settings.STORAGE_BASE_PATH / "videos").mkdir()
    (settings.STORAGE_BASE_PATH / "videos" / "v.mp4").write_bytes(b"v" * 1000)
    connected = connect_account(fake_youtube, make_project(fake_youtube, "alpha"), "a1@example.com")

    result = youtube_upload(upload_request(account_book_upload(account_id=connected.pk), ("videos/v.mp4", "")))

    assert fake_youtube.videos[result.youtube_video_id]["size"] == 1000


def test_sandbox_account_uploads_offline(video_files):
    account = YouTubeAccountFactory(is_sandbox=True, project__is_sandbox=True)
    result = youtube_upload(upload_request(account, video_files))
    assert (result.sandbox, result.account_id) == (True, account.pk)
    assert result.youtube_url.startswith("https://sandbox.youtube.invalid/")
    account.refresh_from_db()
    assert account.total_uploads == 1


def test_the_marker_is_derived_from_the_reference():
    video_id = uuid.uuid4()
    assert upload_marker(str(video_id)) == f"ytempire-{video_id.hex}"
    assert upload_marker("order-17") == upload_marker("order-17")
    assert upload_marker("order-17") != upload_marker("order-18")
    assert upload_marker("order-17").startswith("ytempire-") and len(upload_marker("order-17")) == 9 + 32
