"""Media retention (seed Appendix A) and the render size limit, on real files under a temporary
STORAGE_BASE_PATH and PostgreSQL."""

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from channels.tests.factories import ChannelFactory, bound_channel
from costs.models import Reservation, VideoCost
from videos.models import Video, VideoStatus
from videos.pipeline.runner import pipeline_run_step
from videos.presentation import event_notice, failure_notice
from videos.retention import ORPHAN, PUBLISHED_THUMBNAIL, PUBLISHED_VIDEO, STOPPED, media_purge
from videos.tasks import media_purge_task, step_start_task
from videos.tests.factories import VideoFactory
from youtube_pool.models import GoogleProject, YouTubeAccount
from ytempire.schedules import SCHEDULES, setup_periodic_tasks

pytestmark = pytest.mark.django_db

S = VideoStatus
DAY = timedelta(days=1)


def _file(root: Path, relative: str, size: int, *, age: timedelta = timedelta(0)) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    stamp = (timezone.now() - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def _video(status: str, *, files: dict[str, str], published_ago=None, changed_ago=None) -> Video:
    now = timezone.now()
    video = VideoFactory(
        status=status, published_at=now - published_ago if published_ago is not None else None, **files
    )
    if changed_ago is not None:
        Video.objects.filter(pk=video.pk).update(updated_at=now - changed_ago)
    return video


@pytest.fixture
def media(settings, tmp_path):
    """A storage folder with files of every kind, and what a purge must free (path -> reason)."""
    settings.VIDEO_RETENTION_DAYS, settings.THUMBNAIL_RETENTION_DAYS = 7, 30
    root = Path(settings.STORAGE_BASE_PATH)
    old = 3 * DAY  # file age; the rule for referenced files is the video's, not the file's
    f = {
        name: _file(root, rel, size, age=old)
        for name, rel, size in [
            ("pub10_video", "video/pub10.mp4", 4000),
            ("pub10_audio", "audio/pub10.mp3", 1500),
            ("pub10_thumb", "thumbnails/pub10.png", 300),
            ("pub40_video", "video/pub40.mp4", 5000),
            ("pub40_thumb", "thumbnails/pub40.png", 200),
            ("pub2_video", "video/pub2.mp4", 6000),
            ("failed_video", "video/failed.mp4", 7000),
            ("failed_audio", "audio/failed.wav", 800),
            ("cancelled_new", "video/cancelled-new.mp4", 900),
            ("processing_video", "audio/processing.mp3", 1200),
            ("ready_video", "video/ready.mp4", 9000),
            ("stray", "video/stray.mp4", 2500),
            ("stray_thumb", "thumbnails/old/stray.png", 100),
            ("keep", ".keep", 1),
        ]
    }
    f["young_stray"] = _file(root, "video/just-written.mp4", 3000)
    outside = _file(root.parent, "outside/elsewhere.mp4", 1000, age=old)
    (root / "video" / "escape.mp4").symlink_to(outside)

    _video(
        S.PUBLISHED,
        published_ago=10 * DAY,
        files={
            "video_path": "video/pub10.mp4",  # relative: under STORAGE_BASE_PATH
            "audio_path": str(f["pub10_audio"]),
            "thumbnail_path": str(f["pub10_thumb"]),
        },
    )
    _video(
        S.PUBLISHED,
        published_ago=40 * DAY,
        files={"video_path": str(f["pub40_video"]), "thumbnail_path": str(f["pub40_thumb"])},
    )
    _video(S.PUBLISHED, published_ago=2 * DAY, files={"video_path": str(f["pub2_video"])})
    _video(S.PUBLISHED, published_ago=20 * DAY, files={"video_path": str(outside)})
    _video(S.PUBLISHED, published_ago=40 * DAY, files={"thumbnail_path": str(root / "video" / "escape.mp4")})
    failed = _video(
        S.FAILED,
        changed_ago=8 * DAY,
        files={"video_path": str(f["failed_video"]), "audio_path": str(f["failed_audio"])},
    )
    Video.objects.filter(pk=failed.pk).update(
        metadata={"pipeline": {"script": {"done": True}, "voice": {"done": True}, "render": {"attempts": 1}}}
    )
    _video(S.CANCELLED, changed_ago=2 * DAY, files={"video_path": str(f["cancelled_new"])})
    processing = _video(S.PROCESSING, changed_ago=30 * DAY, files={"audio_path": str(f["processing_video"])})
    _video(S.READY, changed_ago=30 * DAY, files={"video_path": str(f["ready_video"])})
    # N8N is rendering it: the file names the video before the callback references it.
    f["processing_render"] = _file(root, f"video/{processing.pk}.mp4", 4400, age=old)

    due = {
        f["pub10_video"]: PUBLISHED_VIDEO,
        f["pub10_audio"]: PUBLISHED_VIDEO,
        f["pub40_video"]: PUBLISHED_VIDEO,
        f["pub40_thumb"]: PUBLISHED_THUMBNAIL,
        f["failed_video"]: STOPPED,
        f["failed_audio"]: STOPPED,
        f["stray"]: ORPHAN,
        f["stray_thumb"]: ORPHAN,
    }
    everything = [*f.values(), outside]
    return {"root": root, "files": f, "due": due, "everything": everything, "outside": outside, "failed": failed}


def _purge(*args) -> str:
    out = io.StringIO()
    call_command("purge_media", *args, stdout=out)
    return out.getvalue()


def _sizes(paths) -> int:
    return sum(path.stat().st_size for path in paths)


def test_dry_run_reports_what_would_be_freed_and_deletes_nothing(media):
    expected_bytes = _sizes(media["due"])
    references = list(Video.objects.order_by("pk").values_list("video_path", "audio_path", "thumbnail_path"))

    report = media_purge(dry_run=True)
    output = _purge("--dry-run")

    assert {Path(item.path): item.reason for item in report.files} == media["due"]
    assert report.bytes_freed == expected_bytes
    assert report.kept_in_progress == 1  # the render N8N is writing for the processing video
    assert report.kept_recent == 1 and report.outside_storage == 2
    assert all(path.exists() for path in media["everything"])
    assert list(Video.objects.order_by("pk").values_list("video_path", "audio_path", "thumbnail_path")) == references
    assert output.startswith("Dry run: nothing is deleted.")
    assert "checking videos: " in output and "checking files: " in output and "(100%)" in output
    assert f"Would free {len(media['due'])} file(s)" in output and f"({expected_bytes} bytes)" in output
    assert "orphans (no video references them): 2 file(s)" in output


def test_purge_deletes_exactly_what_retention_allows_and_reports_the_bytes(media):
    expected_bytes = _sizes(media["due"])

    output = _purge()

    gone = {path for path in media["everything"] if not path.exists()}
    assert gone == set(media["due"])
    files = media["files"]
    for kept in ("pub10_thumb", "pub2_video", "cancelled_new", "processing_video", "ready_video", "processing_render"):
        assert files[kept].exists(), kept  # within retention, or a video still in progress
    assert files["young_stray"].exists() and files["keep"].exists() and media["outside"].exists()
    assert (media["root"] / "video" / "escape.mp4").is_symlink()
    assert f"Freed {len(media['due'])} file(s)" in output and f"({expected_bytes} bytes)" in output
    assert "kept 1 file(s) of videos still in progress" in output

    # The records no longer name deleted files; a retried stopped video makes them again.
    failed = Video.objects.get(pk=media["failed"].pk)
    assert failed.video_path == "" and failed.audio_path == ""
    assert set(failed.metadata["media_purged"]) == {"video_path", "audio_path"}
    assert failed.metadata["pipeline"] == {"script": {"done": True}}
    published = Video.objects.get(thumbnail_path=str(files["pub10_thumb"]))
    assert published.video_path == "" and published.audio_path == ""

    # Nothing is left to free: a second run (the beat task) is a no-op.
    assert media_purge_task.delay().get()["files"] == 0


def test_a_stopped_video_retried_before_the_purge_keeps_its_files(media):
    failed = media["failed"]
    Video.objects.filter(pk=failed.pk).update(status=S.QUEUED)  # as video_requeue leaves it

    report = media_purge()

    assert media["files"]["failed_video"].exists() and media["files"]["failed_audio"].exists()
    assert {Path(item.path) for item in report.files} == set(media["due"]) - {
        media["files"]["failed_video"],
        media["files"]["failed_audio"],
    }


def test_the_purge_runs_daily_from_beat():
    (schedule,) = [item for item in SCHEDULES if item.task == "videos.tasks.media_purge_task"]
    setup_periodic_tasks()

    task = PeriodicTask.objects.get(name=schedule.name)
    assert task.enabled and task.expire_seconds == 3600
    assert (task.crontab.minute, task.crontab.hour, str(task.crontab.timezone)) == ("30", "3", "America/Los_Angeles")


# --- MAX_FILE_SIZE_MB ------------------------------------------------------------------------


def _big_file(settings, name: str, megabytes: float) -> Path:
    path = Path(settings.STORAGE_BASE_PATH) / "video" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:  # sparse: the size counts, not the blocks
        handle.truncate(int(megabytes * 1024 * 1024))
    return path


@pytest.mark.django_db(transaction=True)
def test_a_render_over_the_size_limit_fails_the_video_and_gives_back_its_holds(
    user, live_providers, n8n_signer, api_client, auth_client, settings
):
    settings.MAX_FILE_SIZE_MB = 1
    channel = ChannelFactory(user=user, status="active")
    video = VideoFactory(channel=channel)
    step_start_task.delay(str(video.pk))  # start, script, voice, render: now waiting for N8N
    assert Reservation.objects.filter(video=video, status="open").count() == 2  # rendering + thumbnail
    rendered = _big_file(settings, f"{video.pk}.mp4", 1.5)

    response = n8n_signer.post(
        api_client,
        "/api/v1/webhooks/n8n/video-complete",
        {
            "video_id": str(video.pk),
            "status": "completed",
            "video_path": str(rendered),
            "thumbnail_path": "thumbnails/x.png",
            "costs": [{"service": "rendering", "amount": "0.0500"}],
        },
    )

    assert response.status_code == 200, response.json()
    assert response.json()["video_status"] == "failed"
    video.refresh_from_db()
    assert video.status == S.FAILED
    assert failure_notice(video).code == "file_too_large"
    assert "1.5 MB is over the 1 MB upload limit" in video.error_message
    assert video.video_path == str(rendered)  # kept on record, so the purge frees it later
    assert not Reservation.objects.filter(video=video, status="open").exists()
    assert VideoCost.objects.filter(video=video, service="rendering").exists()  # the render did cost
    assert event_notice(video.events.order_by("at", "id").last()).code == "file_too_large"
    shown = auth_client.get(f"/api/v1/videos/{video.pk}").json()
    assert shown["status"] == "failed" and shown["error_code"] == "file_too_large"
    assert str(settings.STORAGE_BASE_PATH) not in str(shown)


def test_the_upload_step_refuses_a_file_over_the_limit_before_calling_youtube(settings):
    settings.MAX_FILE_SIZE_MB = 1
    project = GoogleProject.objects.create(name="sandbox", client_id="sandbox.apps", is_sandbox=True)
    account = YouTubeAccount.objects.create(project=project, channel_id="UCBIG", is_sandbox=True)
    channel = bound_channel(account=account, status="active")
    video = VideoFactory(channel=channel, status=S.READY)
    Video.objects.filter(pk=video.pk).update(video_path=str(_big_file(settings, "big.mp4", 2)))

    assert pipeline_run_step(video_id=video.pk, step="upload") is None

    video.refresh_from_db()
    account.refresh_from_db()
    assert video.status == S.FAILED and failure_notice(video).code == "file_too_large"
    assert account.uploads_today == 0 and not video.youtube_video_id
    assert not Reservation.objects.filter(video=video).exists()
