"""The pipeline's steps, waits, sweeper and automation (Celery tasks run in-process here; the
real-worker end-to-end tests are in test_pipeline_worker.py)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum
from django.utils import timezone

from costs.models import Reservation, ServiceRate, VideoCost
from costs.services import cost_record, cost_reserve
from videos import pipeline
from videos.automation import automation_run
from videos.models import Video, VideoStatus
from videos.services import video_generate
from videos.tasks import video_process_task
from videos.tests.factories import VideoFactory
from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.services import next_reset_at, quota_reset_due

pytestmark = pytest.mark.django_db(transaction=True)

S = VideoStatus


@pytest.fixture
def sandbox_accounts(db):
    """A sandbox Google project and ``n`` sandbox accounts (uploads recorded locally)."""

    def make(n: int = 3, cap: int = 5) -> list[YouTubeAccount]:
        project = GoogleProject.objects.create(name="sandbox", client_id="sandbox.apps", is_sandbox=True)
        return [
            YouTubeAccount.objects.create(
                project=project,
                email=f"sandbox{i}@example.invalid",
                channel_id=f"UCSB{i}",
                is_sandbox=True,
                daily_upload_cap=cap,
            )
            for i in range(n)
        ]

    return make


@pytest.fixture
def channel(user):
    from channels.tests.factories import ChannelFactory

    return ChannelFactory(user=user, status="active", niche="Astronomy", daily_video_limit=10)


def _run(video: Video) -> Video:
    video_process_task.delay(str(video.pk))
    video.refresh_from_db()
    return video


def _ledger_total(video: Video) -> Decimal:
    return VideoCost.objects.filter(video=video).aggregate(total=Sum("amount"))["total"] or Decimal(0)


def test_sandbox_pipeline_takes_a_generated_video_to_published(
    user, channel, sandbox_accounts, django_capture_on_commit_callbacks
):
    sandbox_accounts(2)
    with django_capture_on_commit_callbacks(execute=True):
        video = video_generate(user=user, channel_id=channel.pk, title="Moons of Jupiter")

    video.refresh_from_db()
    assert video.status == S.PUBLISHED
    assert video.youtube_video_id.startswith("sandbox-")
    assert "[SANDBOX SCRIPT]" in video.script
    assert video.audio_path.endswith(".wav") and video.video_path.endswith(".mp4")
    assert video.processing_started_at and video.processing_completed_at and video.published_at
    transitions = [(e.from_status, e.to_status) for e in video.events.exclude(to_status="")]
    assert transitions == [
        ("", "queued"),
        ("queued", "processing"),
        ("processing", "ready"),
        ("ready", "uploading"),
        ("uploading", "published"),
    ]
    services = set(VideoCost.objects.filter(video=video).values_list("service", flat=True))
    assert services == {"openai", "tts", "rendering", "thumbnail", "upload"}
    assert _ledger_total(video) == video.total_cost > 0
    assert not Reservation.objects.filter(video=video, status="open").exists()
    channel.refresh_from_db()
    assert channel.total_videos == 1


def test_sandboxed_videos_say_so_in_the_api(user, channel, sandbox_accounts, auth_client):
    sandbox_accounts(1)
    video = _run(VideoFactory(channel=channel))

    body = auth_client.get(f"/api/v1/videos/{video.pk}").json()

    assert body["providers"] == "sandbox"
    assert body["youtube_url"].startswith("https://sandbox.youtube.invalid/")


def test_costs_follow_the_service_rates(user, channel, sandbox_accounts):
    sandbox_accounts(1)
    ServiceRate.objects.update_or_create(
        service="upload", model="youtube", defaults={"price": Decimal("0.0500"), "unit": "upload"}
    )
    video = _run(VideoFactory(channel=channel, optimization_level="economy"))

    assert video.status == S.PUBLISHED
    upload = VideoCost.objects.get(video=video, service="upload")
    assert upload.amount == Decimal("0.0500")
    script = VideoCost.objects.get(video=video, service="openai")
    tokens = script.metadata["tokens"]
    assert script.amount == (Decimal(tokens) / 1000 * Decimal("0.002")).quantize(Decimal("0.0001"))


def test_redelivered_steps_do_nothing_twice(user, channel, sandbox_accounts):
    sandbox_accounts(1)
    video = _run(VideoFactory(channel=channel))
    charges = VideoCost.objects.filter(video=video).count()

    for step in pipeline.STEPS:
        assert pipeline.pipeline_run_step(video_id=video.pk, step=step) is None

    assert VideoCost.objects.filter(video=video).count() == charges
    video.refresh_from_db()
    assert video.status == S.PUBLISHED


def test_a_locked_video_is_not_run_twice(channel):
    video = VideoFactory(channel=channel)
    with pipeline.video_lock(video.pk):
        assert pipeline.pipeline_run_step(video_id=video.pk, step="start") is None
    video.refresh_from_db()
    assert video.status == S.QUEUED


def test_exhausted_pool_leaves_the_video_ready_until_the_reset(user, channel, sandbox_accounts):
    (account,) = sandbox_accounts(1, cap=1)
    first = _run(VideoFactory(channel=channel))
    second = _run(VideoFactory(channel=channel))

    assert first.status == S.PUBLISHED
    assert second.status == S.READY
    wait = second.metadata["pipeline"]["wait"]
    assert wait["reason"] == "pool"
    assert datetime.fromisoformat(wait["until"]) == next_reset_at()
    assert second.events.filter(reason__startswith="waiting: YouTube pool").count() == 1
    # Polling before the reset changes nothing and records nothing new.
    pipeline.pipeline_dispatch()
    second.refresh_from_db()
    assert second.status == S.READY

    after_reset = next_reset_at() + timedelta(seconds=5)
    with time_machine.travel(after_reset, tick=False):
        quota_reset_due()
        pipeline.pipeline_dispatch()

    second.refresh_from_db()
    assert second.status == S.PUBLISHED
    assert second.youtube_account_used_id == account.pk


def test_upload_waits_for_the_channel_upload_time(user, channel, sandbox_accounts):
    sandbox_accounts(1)
    channel.upload_time_utc = "18:30"
    channel.save()
    with time_machine.travel(datetime(2026, 3, 3, 9, 0, tzinfo=UTC), tick=False):
        video = _run(VideoFactory(channel=channel))
        assert video.status == S.READY
        assert video.metadata["pipeline"]["wait"]["until"] == "2026-03-03T18:30:00+00:00"
    with time_machine.travel(datetime(2026, 3, 3, 18, 31, tzinfo=UTC), tick=False):
        pipeline.pipeline_dispatch()
    video.refresh_from_db()
    assert video.status == S.PUBLISHED


def test_a_paused_budget_keeps_queued_videos_waiting_for_the_next_budget_day(channel, sandbox_accounts, settings):
    sandbox_accounts(1)
    settings.DAILY_COST_BUDGET = Decimal("1.00")
    spender = VideoFactory(channel=channel, status=S.PROCESSING)
    cost_record(video=spender, service="manual", amount=Decimal("1.00"), metadata={"reason": "test"})

    video = _run(VideoFactory(channel=channel))

    assert video.status == S.QUEUED
    assert video.metadata["pipeline"]["wait"]["reason"] == "budget"
    tomorrow = timezone.now() + timedelta(days=1)
    with time_machine.travel(tomorrow, tick=False):
        pipeline.pipeline_dispatch()
    video.refresh_from_db()
    assert video.status == S.PUBLISHED


def test_sweeper_finishes_a_video_whose_worker_died(user, channel, sandbox_accounts):
    """A worker died after the script step, holding a reservation it never settled."""
    sandbox_accounts(1)
    video = VideoFactory(channel=channel)
    pipeline.pipeline_run_step(video_id=video.pk, step="start")
    pipeline.pipeline_run_step(video_id=video.pk, step="script")
    video.refresh_from_db()
    orphan = cost_reserve(video=video, service="tts", amount=Decimal("0.10"), metadata={"step": "voice"})

    later = timezone.now() + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        report = pipeline.pipeline_sweep()

    assert report["resumed"] == 1
    video.refresh_from_db()
    assert video.status == S.PUBLISHED
    assert VideoCost.objects.filter(video=video, service="openai").count() == 1
    assert _ledger_total(video) == video.total_cost
    orphan.refresh_from_db()
    assert orphan.status == "open" and orphan.expires_at <= later + timedelta(hours=1)


def test_permanent_provider_failure_fails_the_video_with_its_reason(channel, live_providers):
    live_providers.openai.fail_next(400)

    video = _run(VideoFactory(channel=channel))

    assert video.status == S.FAILED
    assert "script failed: OpenAI refused the request (400)" in video.error_message
    assert not Reservation.objects.filter(video=video, status="open").exists()
    assert not VideoCost.objects.filter(video=video).exists()


def test_live_render_waits_for_n8n_then_the_webhook_resumes_the_pipeline(
    channel, live_providers, sandbox_accounts, n8n_signer, api_client, django_capture_on_commit_callbacks
):
    sandbox_accounts(1)
    video = _run(VideoFactory(channel=channel, optimization_level="premium"))

    assert video.status == S.PROCESSING
    assert video.providers == "live"
    request = live_providers.n8n.requests[-1]
    assert request["headers"]["x-n8n-api-key"] == "n8n-test-key"
    assert live_providers.tts.requests[-1]["path"].startswith("/v1/text-to-speech/")  # premium: ElevenLabs
    assert video.metadata["pipeline"]["render"]["attempts"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = n8n_signer.post(
            api_client,
            "/api/v1/webhooks/n8n/video-complete",
            {
                "video_id": str(video.pk),
                "status": "completed",
                "video_path": "video/rendered.mp4",
                "thumbnail_path": "thumbnails/rendered.png",
                "duration_seconds": 61,
                "costs": [{"service": "rendering", "amount": "0.0400"}],
            },
        )

    assert response.status_code == 200, response.json()
    video.refresh_from_db()
    assert video.status == S.PUBLISHED
    assert _ledger_total(video) == video.total_cost
    assert not Reservation.objects.filter(video=video, status="open").exists()


def test_a_silent_render_is_retried_once_then_failed(channel, live_providers):
    video = _run(VideoFactory(channel=channel))
    assert video.status == S.PROCESSING
    start = timezone.now()

    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        assert pipeline.pipeline_sweep()["render_retried"] == 1
    assert len(live_providers.n8n.requests) == 2
    assert Reservation.objects.filter(video=video, status="open").count() == 2  # the retry's, not 4
    with time_machine.travel(start + timedelta(minutes=15), tick=False):
        assert pipeline.pipeline_sweep() == {"render_retried": 0, "render_failed": 0, "resumed": 0}
    with time_machine.travel(start + timedelta(minutes=23), tick=False):
        assert pipeline.pipeline_sweep()["render_failed"] == 1

    video.refresh_from_db()
    assert video.status == S.FAILED
    assert video.error_message == "Render timed out: no answer from N8N after 2 attempts"
    assert len(live_providers.n8n.requests) == 2
    assert not Reservation.objects.filter(video=video, status="open").exists()
    assert video.events.filter(reason__startswith="render timed out").count() == 1


def _price(service, model, price):
    ServiceRate.objects.update_or_create(service=service, model=model, defaults={"price": price, "unit": "1k"})


def test_cost_warning_switches_the_remaining_steps_to_economy(channel, live_providers, sandbox_accounts):
    sandbox_accounts(1)
    _price("openai", "gpt-4", Decimal("0.3300"))
    live_providers.openai.prompt_tokens, live_providers.openai.completion_tokens = 1000, 6000  # $2.31
    video = VideoFactory(channel=channel, optimization_level="premium", status=S.QUEUED)
    cost_record(video=video, service="manual", amount=Decimal("0.30"), metadata={"reason": "earlier spend"})

    video = _run(video)

    assert video.optimization_level == "economy"
    assert video.events.filter(data__optimization_level__to="economy").count() == 1
    # Premium would use ElevenLabs; after the switch the voice step used Google TTS.
    assert live_providers.tts.requests[-1]["path"] == "/v1/text:synthesize"
    assert live_providers.n8n.requests[-1]["body"].count(b'"resolution": "720p"') == 1


def test_reaching_the_hard_limit_cancels_and_stops_the_video(channel, live_providers):
    _price("openai", "gpt-4", Decimal("0.3000"))
    live_providers.openai.prompt_tokens, live_providers.openai.completion_tokens = 1000, 8000  # $2.70
    video = VideoFactory(channel=channel, optimization_level="standard", status=S.QUEUED)
    cost_record(video=video, service="manual", amount=Decimal("0.30"), metadata={"reason": "earlier spend"})

    video = _run(video)

    assert video.status == S.CANCELLED
    assert video.error_message == "Cost limit exceeded: $3.00"
    assert live_providers.tts.requests == []  # no further step spent anything
    assert _ledger_total(video) == Decimal("3.0000")


def test_a_hold_over_the_limit_never_calls_the_vendor(channel, live_providers):
    _price("openai", "gpt-4", Decimal("0.4000"))  # the script hold alone is $3.20
    video = _run(VideoFactory(channel=channel, optimization_level="standard"))

    assert video.status == S.CANCELLED
    assert video.error_message.startswith("Cost limit exceeded")
    assert live_providers.openai.requests == []


# --- automation ------------------------------------------------------------------------------


def _automated_channels(owner, n, limit):
    from channels.tests.factories import ChannelFactory

    return [
        ChannelFactory(user=owner, status="active", automation_enabled=True, daily_video_limit=limit, niche=f"n{i}")
        for i in range(n)
    ]


def test_automation_never_queues_past_the_pool_capacity(user, sandbox_accounts, django_capture_on_commit_callbacks):
    sandbox_accounts(1, cap=4)
    user.daily_video_limit = 100
    user.save()
    channels = _automated_channels(user, 3, limit=5)
    late = datetime.now(UTC).replace(hour=23, minute=50)

    with time_machine.travel(late, tick=False):
        assert sum(p.wanted for p in automation_run(dry_run=True)) == 4
        assert Video.objects.count() == 0
        plans = automation_run()
        again = automation_run()

    assert sum(len(p.queued) for p in plans) == 4
    assert again == []
    for channel in channels:
        assert channel.videos.count() <= 5
    titles = list(Video.objects.values_list("title", flat=True))
    assert len(set(titles)) == len(titles)


def test_automation_respects_channel_and_owner_limits_and_spreads_over_the_day(user, sandbox_accounts):
    sandbox_accounts(5, cap=5)
    user.daily_video_limit = 6
    user.save()
    _automated_channels(user, 2, limit=4)
    morning = datetime.now(UTC).replace(hour=5, minute=40)
    with time_machine.travel(morning, tick=False):
        morning_plans = automation_run()
    # By the end of this slot (05:55) just under a quarter of each channel's 4 videos is due: one each.
    assert [len(p.queued) for p in morning_plans] == [1, 1]

    with time_machine.travel(morning.replace(hour=23), tick=False):
        automation_run()
    assert Video.objects.count() == 6  # owner limit, below 2 x 4
    assert max(c.videos.count() for c in user.channels.all()) <= 4


def test_automation_queues_nothing_when_the_budget_is_paused(user, sandbox_accounts, settings):
    sandbox_accounts(1)
    settings.DAILY_COST_BUDGET = Decimal("0.50")
    (channel,) = _automated_channels(user, 1, limit=5)
    spender = VideoFactory(channel=channel, status=S.PROCESSING)
    cost_record(video=spender, service="manual", amount=Decimal("0.50"), metadata={})

    assert automation_run(now=datetime.now(UTC).replace(hour=23)) == []
    assert Video.objects.count() == 1


def test_celery_priority_puts_urgent_videos_first():
    assert pipeline.celery_priority(10) == 0
    assert pipeline.celery_priority(5) == 5
    assert pipeline.celery_priority(1) == 9
    assert pipeline.STEP_QUEUES["render"] == "render"
    assert pipeline.STEP_QUEUES["upload"] == "upload"


def test_a_failed_render_gives_back_its_holds(channel, live_providers, n8n_signer, api_client):
    video = _run(VideoFactory(channel=channel))
    assert Reservation.objects.filter(video=video, status="open").count() == 2  # rendering + thumbnail

    response = n8n_signer.post(
        api_client,
        "/api/v1/webhooks/n8n/video-complete",
        {"video_id": str(video.pk), "status": "failed", "error": "ffmpeg crashed"},
    )

    assert response.status_code == 200, response.json()
    video.refresh_from_db()
    assert video.status == S.FAILED
    assert video.error_message == "ffmpeg crashed"
    assert not Reservation.objects.filter(video=video, status="open").exists()


def test_cancelling_a_video_gives_back_its_open_holds(user, channel, live_providers, auth_client):
    video = _run(VideoFactory(channel=channel))  # waiting for N8N, render holds open
    assert Reservation.objects.filter(video=video, status="open").count() == 2

    response = auth_client.post(f"/api/v1/videos/{video.pk}/cancel")

    assert response.status_code == 200, response.json()
    assert not Reservation.objects.filter(video=video, status="open").exists()
