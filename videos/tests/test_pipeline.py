"""The pipeline's steps, waits, sweeper and automation (Celery tasks run in-process here; the
real-worker end-to-end tests are in test_pipeline_worker.py)."""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

import pytest
import time_machine
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels.tests.factories import ChannelFactory, bound_channel
from costs.models import CostCalibration, Reservation, ServiceRate, VideoCost
from costs.services import cost_record, cost_reserve, rate_table, tts_call_bound
from videos.automation import automation_run
from videos.models import Video, VideoStatus
from videos.pipeline import queue, recovery, runner, state
from videos.services import video_generate, video_requeue
from videos.tasks import step_start_task
from videos.tests.factories import VideoFactory
from youtube_pool.models import GoogleProject, YouTubeAccount
from youtube_pool.services import next_reset_at, quota_reset_due

pytestmark = pytest.mark.django_db(transaction=True)

S = VideoStatus
D = Decimal


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


def _own_sandbox_account(name: str, *, cap: int = 5) -> YouTubeAccount:
    """A sandbox account of its own (one YouTube channel) on a sandbox project."""
    project, _ = GoogleProject.objects.get_or_create(
        name="sandbox-channels", defaults={"client_id": "sandbox-channels.apps", "is_sandbox": True}
    )
    return YouTubeAccount.objects.create(
        project=project, channel_id=f"UCOWN{name}", channel_handle=f"@{name}", is_sandbox=True, daily_upload_cap=cap
    )


@pytest.fixture
def channel(user):
    """An active channel connected to its own (sandbox) YouTube channel."""
    return bound_channel(
        user=user, account=_own_sandbox_account("astronomy"), status="active", niche="Astronomy", daily_video_limit=10
    )


def _run(video: Video) -> Video:
    step_start_task.delay(str(video.pk))
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


def test_once_the_script_is_written_the_estimate_is_revised_from_it(user, channel, sandbox_accounts, settings):
    settings.COST_ESTIMATE_MIN_SAMPLES = 1
    settings.COST_ESTIMATE_MARGIN_PERCENT = 10
    sandbox_accounts(1)
    CostCalibration.objects.create(
        level="standard",
        service="rendering",
        amount=D("0.2"),
        samples=5,
        per_1000_script_words=D("0.1334"),
        word_samples=5,
    )
    video = VideoFactory(channel=channel, optimization_level="standard", estimated_cost=D("0.8000"))
    video.metadata = {"estimate": {"openai": "0.24", "tts": "0.10", "rendering": "0.20"}}
    video.save(update_fields=["metadata"])

    video = _run(video)

    assert video.status == S.PUBLISHED
    words = video.metadata["pipeline"]["script"]["words"]
    assert words == len(video.script.split()) > 0
    spent_on_script = VideoCost.objects.get(video=video, service="openai").amount
    revised = video.metadata["estimate_revised"]
    assert revised["breakdown"]["openai"] == str(spent_on_script)
    assert D(revised["breakdown"]["tts"]) == tts_call_bound(
        engine="google", characters=len(video.script), rates=rate_table()
    )
    assert D(revised["breakdown"]["rendering"]) == (D("0.1334") * words / 1000 * D("1.1")).quantize(
        D("0.0001"), rounding=ROUND_CEILING
    )
    assert revised["basis"]["rendering"] == "ledger_p95_per_word" and revised["basis"]["tts"] == "exact"
    assert video.estimated_cost == D(revised["total"]) == sum(D(v) for v in revised["breakdown"].values())
    assert video.metadata["estimate"]["openai"] == "0.24"  # the quote it was queued with is kept
    event = video.events.get(data__step="script")
    assert event.data["estimated_cost"] == revised["total"]


def test_redelivered_steps_do_nothing_twice(user, channel, sandbox_accounts):
    sandbox_accounts(1)
    video = _run(VideoFactory(channel=channel))
    charges = VideoCost.objects.filter(video=video).count()

    for step in state.STEPS:
        assert runner.pipeline_run_step(video_id=video.pk, step=step) is None

    assert VideoCost.objects.filter(video=video).count() == charges
    video.refresh_from_db()
    assert video.status == S.PUBLISHED


def test_a_locked_video_is_not_run_twice(channel):
    video = VideoFactory(channel=channel)
    with state.video_lock(video.pk):
        assert runner.pipeline_run_step(video_id=video.pk, step="start") is None
    video.refresh_from_db()
    assert video.status == S.QUEUED


def test_a_full_channel_leaves_the_video_ready_until_the_reset_and_never_spills(user, channel, sandbox_accounts):
    account = channel.youtube_account
    YouTubeAccount.objects.filter(pk=account.pk).update(daily_upload_cap=1)
    (other,) = sandbox_accounts(1, cap=5)  # another YouTube channel with room: never used for this channel
    first = _run(VideoFactory(channel=channel))
    second = _run(VideoFactory(channel=channel))

    assert first.status == S.PUBLISHED
    assert second.status == S.READY
    wait = second.metadata["pipeline"]["wait"]
    assert wait["reason"] == "channel_capacity"
    assert datetime.fromisoformat(wait["until"]) == next_reset_at()
    assert second.events.filter(reason__startswith="waiting: the channel's YouTube upload capacity").count() == 1
    other.refresh_from_db()
    assert other.uploads_today == 0
    # Polling before the reset changes nothing and records nothing new.
    recovery.pipeline_dispatch()
    second.refresh_from_db()
    assert second.status == S.READY

    after_reset = next_reset_at() + timedelta(seconds=5)
    with time_machine.travel(after_reset, tick=False):
        quota_reset_due()
        recovery.pipeline_dispatch()

    second.refresh_from_db()
    assert second.status == S.PUBLISHED
    assert first.youtube_account_used_id == second.youtube_account_used_id == account.pk


def test_upload_waits_for_the_channel_upload_time(user, channel, sandbox_accounts):
    sandbox_accounts(1)
    channel.upload_time_utc = "18:30"
    channel.save()
    with time_machine.travel(datetime(2026, 3, 3, 9, 0, tzinfo=UTC), tick=False):
        video = _run(VideoFactory(channel=channel))
        assert video.status == S.READY
        assert video.metadata["pipeline"]["wait"]["until"] == "2026-03-03T18:30:00+00:00"
    with time_machine.travel(datetime(2026, 3, 3, 18, 31, tzinfo=UTC), tick=False):
        recovery.pipeline_dispatch()
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
        recovery.pipeline_dispatch()
    video.refresh_from_db()
    assert video.status == S.PUBLISHED


def test_sweeper_finishes_a_video_whose_worker_died(user, channel, sandbox_accounts):
    """A worker died after the script step, holding a reservation it never settled."""
    sandbox_accounts(1)
    video = VideoFactory(channel=channel)
    runner.pipeline_run_step(video_id=video.pk, step="start")
    runner.pipeline_run_step(video_id=video.pk, step="script")
    video.refresh_from_db()
    orphan = cost_reserve(video=video, service="tts", amount=Decimal("0.10"), metadata={"step": "voice"})

    later = timezone.now() + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        report = recovery.pipeline_sweep()

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
        assert recovery.pipeline_sweep()["render_retried"] == 1
    assert len(live_providers.n8n.requests) == 2
    assert Reservation.objects.filter(video=video, status="open").count() == 2  # the retry's, not 4
    with time_machine.travel(start + timedelta(minutes=15), tick=False):
        assert recovery.pipeline_sweep() == {"render_retried": 0, "render_failed": 0, "resumed": 0}
    with time_machine.travel(start + timedelta(minutes=23), tick=False):
        assert recovery.pipeline_sweep()["render_failed"] == 1

    video.refresh_from_db()
    assert video.status == S.FAILED
    assert video.error_message == "Render timed out: no answer from N8N after 2 attempts"
    assert len(live_providers.n8n.requests) == 2
    assert not Reservation.objects.filter(video=video, status="open").exists()
    assert video.events.filter(reason__startswith="render timed out").count() == 1


def test_a_render_retry_whose_message_was_lost_is_enqueued_again(channel, live_providers):
    """The sweeper marked the render timed out and enqueued it again, but that message never ran
    (the worker was killed, the broker was down): once that too is stale, it is enqueued again
    instead of waiting forever."""
    video = _run(VideoFactory(channel=channel))
    start = timezone.now()
    retried_at = start + timedelta(minutes=11)
    state.update_state(video.pk, step="render", timed_out=True, retried_at=retried_at.isoformat())

    with time_machine.travel(retried_at + timedelta(minutes=5), tick=False):
        assert recovery.pipeline_sweep()["render_retried"] == 0  # still in time to be picked up
    with time_machine.travel(retried_at + timedelta(minutes=16), tick=False):
        assert recovery.pipeline_sweep()["render_retried"] == 1

    video.refresh_from_db()
    render = video.metadata["pipeline"]["render"]
    assert len(live_providers.n8n.requests) == 2
    assert render["attempts"] == 2 and render["timed_out"] is False
    assert video.events.filter(reason="render retry was not picked up; enqueued again").count() == 1


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
    # The script hold (prompt + max_tokens, about 2.4k tokens) alone passes $3.00 at $1.50 per 1k.
    _price("openai", "gpt-4", Decimal("1.5000"))
    video = _run(VideoFactory(channel=channel, optimization_level="standard"))

    assert video.status == S.CANCELLED
    assert video.error_message.startswith("Cost limit exceeded")
    assert live_providers.openai.requests == []


# --- automation ------------------------------------------------------------------------------


def _automated_channels(owner, n, limit, caps=None, first=0):
    """``n`` automated channels, each connected to its own sandbox account (upload cap from ``caps``)."""
    caps = caps or [5] * n
    return [
        bound_channel(
            user=owner,
            account=_own_sandbox_account(f"auto{first + i}", cap=caps[i]),
            status="active",
            automation_enabled=True,
            daily_video_limit=limit,
            niche=f"n{i}",
        )
        for i in range(n)
    ]


def test_automation_never_queues_past_what_each_channel_can_publish(user, django_capture_on_commit_callbacks):
    user.daily_video_limit = 100
    user.save()
    channels = _automated_channels(user, 3, limit=5, caps=[2, 1, 1])
    ChannelFactory(user=user, status="active", automation_enabled=True, daily_video_limit=5)  # not connected
    late = datetime.now(UTC).replace(hour=23, minute=50)

    with time_machine.travel(late, tick=False):
        assert sum(p.wanted for p in automation_run(dry_run=True)) == 4
        assert Video.objects.count() == 0
        plans = automation_run()
        again = automation_run()

    assert sum(len(p.queued) for p in plans) == 4
    assert again == []
    assert [channel.videos.count() for channel in channels] == [2, 1, 1]
    titles = list(Video.objects.values_list("title", flat=True))
    assert len(set(titles)) == len(titles)


def test_automation_respects_channel_and_owner_limits_and_spreads_over_the_day(user):
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


def test_the_automation_pass_reads_a_fixed_number_of_queries_whatever_the_channels(user, django_assert_num_queries):
    """Planning never queries per channel (prices and estimates once per pass): 3 channels or 12,
    the dry run costs the same queries."""
    user.daily_video_limit = 1000
    user.save()
    _automated_channels(user, 3, limit=5)
    late = datetime.now(UTC).replace(hour=23, minute=50)
    with time_machine.travel(late, tick=False):
        automation_run(dry_run=True)  # warm the per-process caches (calibrations)
        with CaptureQueriesContext(connection) as few:
            assert len(automation_run(dry_run=True)) == 3
        _automated_channels(user, 9, limit=5, first=3)
        with django_assert_num_queries(len(few)):
            assert len(automation_run(dry_run=True)) == 12


def test_automation_queues_nothing_when_the_budget_is_paused(user, settings):
    settings.DAILY_COST_BUDGET = Decimal("0.50")
    (channel,) = _automated_channels(user, 1, limit=5)
    spender = VideoFactory(channel=channel, status=S.PROCESSING)
    cost_record(video=spender, service="manual", amount=Decimal("0.50"), metadata={})

    assert automation_run(now=datetime.now(UTC).replace(hour=23)) == []
    assert Video.objects.count() == 1


def test_celery_priority_puts_urgent_videos_first():
    assert queue.celery_priority(10) == 0
    assert queue.celery_priority(5) == 5
    assert queue.celery_priority(1) == 9
    assert queue.STEP_QUEUES["render"] == "render"
    assert queue.STEP_QUEUES["upload"] == "upload"


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


def test_every_charge_fits_in_its_hold_and_the_holds_are_tight(user, channel):
    """Holds bound the one call about to be made (not the whole video's worst case): no step spends
    more than it held, and a standard video holds far less than the rate table's $0.59 estimate."""
    video = _run(VideoFactory(channel=channel, optimization_level="standard"))
    assert video.status == S.PUBLISHED

    charged = VideoCost.objects.filter(video=video, reservation__isnull=False).select_related("reservation")
    assert charged.count() == 3  # script, voice and upload charge their own holds; N8N reports the render's
    for entry in charged:
        assert entry.amount <= entry.reservation.amount, entry.service
    holds = {r.service: r.amount for r in Reservation.objects.filter(video=video)}
    tts = VideoCost.objects.get(video=video, service="tts").amount  # the exact characters, rounded
    assert Decimal(0) <= holds["tts"] - tts <= Decimal("0.0001")  # the hold rounds up, the charge half-up
    assert holds["openai"] < Decimal("0.10") and holds["upload"] == Decimal("0.0100")
    assert sum(holds.values()) < Decimal("0.40")


def test_a_retry_after_a_failed_render_requests_the_render_again_at_once(
    channel, live_providers, n8n_signer, api_client
):
    video = _run(VideoFactory(channel=channel))
    assert video.metadata["pipeline"]["render"]["attempts"] == 1
    failed = n8n_signer.post(
        api_client,
        "/api/v1/webhooks/n8n/video-complete",
        {"video_id": str(video.pk), "status": "failed", "error": "ffmpeg crashed"},
    )
    assert failed.status_code == 200
    requests_before = len(live_providers.n8n.requests)

    video_requeue(video=Video.objects.get(pk=video.pk), reason="retried by the owner")

    video.refresh_from_db()
    assert video.status == S.PROCESSING  # script and voice are kept; the render is requested again
    assert len(live_providers.n8n.requests) == requests_before + 1
    assert video.metadata["pipeline"]["render"]["attempts"] == 1
