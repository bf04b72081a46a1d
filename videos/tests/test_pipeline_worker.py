"""End to end on PostgreSQL, Redis and a real Celery worker (Redis broker, not eager mode), with
local fake OpenAI, TTS, N8N and YouTube servers: the project's real client code runs throughout."""

import json
import time
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.db.models import Sum
from rest_framework.test import APIClient

from channels.tests.factories import bound_channel
from costs.models import Reservation, VideoCost
from videos.models import Video, VideoStatus
from videos.pipeline.runner import pipeline_run_step
from videos.services import video_generate
from videos.tests.factories import VideoFactory
from webhooks.tests.conftest import n8n_headers
from youtube_pool.tests.conftest import connect_account, make_project
from ytempire.celery import app
from ytempire.core.testing import race

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

S = VideoStatus
QUEUES = ["default", "pipeline", "render", "upload"]


@pytest.fixture
def celery_worker_live(settings):
    """A real worker (thread pool) consuming every pipeline queue from the Redis broker."""
    settings.PIPELINE_RETRY_BASE_SECONDS = 0
    app.conf.task_always_eager = False
    with app.connection_for_write() as connection:
        for queue in QUEUES:
            connection.default_channel.client.delete(connection.transport_options.get("global_keyprefix", "") + queue)
    try:
        with start_worker(
            app, pool="threads", concurrency=4, perform_ping_check=False, shutdown_timeout=20, queues=QUEUES
        ) as worker:
            yield worker
    finally:
        app.conf.task_always_eager = True


@pytest.fixture
def youtube(fake_youtube, settings, user):
    """Two Google projects on the fake with two connected channels each; the first is ours."""
    projects = [make_project(fake_youtube, f"proj{i}") for i in range(2)]
    fake_youtube.accounts = [
        connect_account(fake_youtube, project, f"yt{i}{j}@example.com")
        for i, project in enumerate(projects)
        for j in range(2)
    ]
    return fake_youtube


@pytest.fixture
def channel(user, youtube):
    """An active channel connected to its own YouTube channel on the fake (the first account)."""
    user.daily_video_limit = 20
    user.save()
    return bound_channel(
        user=user, account=youtube.accounts[0], status="active", niche="Oceanography", daily_video_limit=10
    )


def _wait_for(predicate, *, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _status(video_id) -> str:
    return Video.objects.values_list("status", flat=True).get(pk=video_id)


class N8NWorkflow:
    """Plays the N8N workflow: on each render request, writes the files and calls back signed."""

    def __init__(self, fake_n8n, storage):
        self.fake = fake_n8n
        self.storage = storage
        self.handled = 0
        self.client = APIClient()

    def complete_pending(self):
        while self.handled < len(self.fake.requests):
            request = json.loads(self.fake.requests[self.handled]["body"])
            self.handled += 1
            video_id = request["video_id"]
            video_file = self.storage / f"{video_id}.mp4"
            video_file.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 1200)
            thumb = self.storage / f"{video_id}.jpg"
            thumb.write_bytes(b"\xff\xd8\xff\xe0" + b"t" * 500)
            for path, payload in (
                ("progress", {"video_id": video_id, "step": "render", "percent": 50}),
                (
                    "video-complete",
                    {
                        "video_id": video_id,
                        "status": "completed",
                        "video_path": str(video_file),
                        "thumbnail_path": str(thumb),
                        "duration_seconds": 42,
                        "costs": [
                            {"service": "rendering", "amount": "0.0700"},
                            {"service": "thumbnail", "amount": "0.0100"},
                        ],
                    },
                ),
            ):
                body = json.dumps(payload)
                response = self.client.generic(
                    "POST",
                    f"/api/v1/webhooks/n8n/{path}",
                    body.encode(),
                    content_type="application/json",
                    **n8n_headers(body),
                )
                assert response.status_code == 200, response.content


def _drive(workflow: N8NWorkflow, video_ids, *, until, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workflow.complete_pending()
        if all(until(_status(video_id)) for video_id in video_ids):
            return
        time.sleep(0.1)
    raise AssertionError({str(v): _status(v) for v in video_ids})


def test_a_video_goes_from_queued_to_published_through_a_real_worker(
    user, channel, live_providers, youtube, celery_worker_live, settings, tmp_path
):
    live_providers.openai.fail_next(503, times=2)  # a transient failure: retried, then it succeeds
    workflow = N8NWorkflow(live_providers.n8n, tmp_path)

    video = video_generate(user=user, channel_id=channel.pk, title="Life in the deep sea", priority=8)
    _drive(workflow, [video.pk], until=lambda status: status in (S.PUBLISHED, S.FAILED, S.CANCELLED))

    video.refresh_from_db()
    assert video.status == S.PUBLISHED, video.error_message
    assert len(live_providers.openai.requests) == 3
    assert video.youtube_video_id and video.youtube_url.startswith("https://www.youtube.com/watch?v=")
    assert video.youtube_account_used_id == channel.youtube_account_id
    uploaded = youtube.videos_of(channel.youtube_channel_id)
    assert [v["id"] for v in uploaded] == [video.youtube_video_id]
    ledger = VideoCost.objects.filter(video=video)
    assert ledger.aggregate(total=Sum("amount"))["total"] == video.total_cost
    assert set(ledger.values_list("service", flat=True)) == {"openai", "tts", "rendering", "thumbnail", "upload"}
    assert not Reservation.objects.filter(video=video, status="open").exists()
    reasons = list(video.events.values_list("reason", flat=True))
    assert "pipeline started" in reasons and "published on YouTube" in reasons
    assert video.metadata["progress"]["percent"] == 50


def test_several_videos_and_a_permanent_failure_through_a_real_worker(
    user, channel, live_providers, youtube, celery_worker_live, tmp_path
):
    workflow = N8NWorkflow(live_providers.n8n, tmp_path)
    videos = [video_generate(user=user, channel_id=channel.pk, title=f"Episode {i}") for i in range(3)]
    _drive(workflow, [v.pk for v in videos], until=lambda status: status == S.PUBLISHED)
    # Every one on the channel's own YouTube channel; none on the three other connected channels.
    assert len(youtube.videos_of(channel.youtube_channel_id)) == 3
    assert all(not youtube.videos_of(a.channel_id) for a in youtube.accounts[1:])

    live_providers.openai.fail_next(401)
    doomed = video_generate(user=user, channel_id=channel.pk, title="Never written")
    _wait_for(lambda: _status(doomed.pk) == S.FAILED, what="the permanent failure")
    doomed.refresh_from_db()
    assert "script failed: OpenAI refused the request (401)" in doomed.error_message
    assert not VideoCost.objects.filter(video=doomed).exists()
    assert not Reservation.objects.filter(video=doomed, status="open").exists()


def test_concurrent_deliveries_of_one_step_run_it_once(user, channel, live_providers):
    """The same step delivered to several worker threads at once (a redelivered message) is run
    by one of them: the per-video lock and the idempotent steps keep the charge single."""
    video = VideoFactory(channel=channel, status=S.QUEUED)

    pipeline_run_step(video_id=video.pk, step="start")

    results = race(lambda: pipeline_run_step(video_id=video.pk, step="script"), 4)

    assert VideoCost.objects.filter(video=video, service="openai").count() == 1
    assert len(live_providers.openai.requests) == 1
    assert results.count("voice") >= 1
    assert Decimal(VideoCost.objects.get(video=video, service="openai").amount) > 0
