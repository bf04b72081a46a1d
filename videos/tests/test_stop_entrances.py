"""Every entrance that can stop a video gives back its money at once, on PostgreSQL and Redis.

One door: entering ``cancelled``/``failed`` through the state machine releases the video's open
holds, and the cost policy parks a video the budget cannot pay for. Whichever way the stop
arrives (API, admin, channel archive, N8N, the sweeper, a failing step, the hard stop, a Stripe
downgrade), afterwards no hold of the video is open, the day's "reserved" figure is back to what
it was, no further step runs, and the video's history says why.
"""

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.tests.stripe_events import configure_stripe, post_stripe_event, stripe_event, subscription_obj
from channels.models import ChannelStatus
from channels.tests.factories import ChannelFactory
from costs.models import Reservation, ReservationStatus
from costs.selectors import cost_budget_status
from costs.services import cost_record, cost_reserve, counters
from costs.services.budget import budget_date_for
from videos import spending
from videos.models import Video, VideoEvent, VideoStatus
from videos.pipeline.recovery import pipeline_sweep
from videos.pipeline.runner import pipeline_run_step
from videos.tasks import step_script_task
from videos.tests.factories import VideoFactory
from webhooks.tests.conftest import N8N_PATHS, N8N_SECRET, n8n_headers

pytestmark = pytest.mark.django_db
D = Decimal
RENDER_HOLDS = (("rendering", D("0.20")), ("thumbnail", D("0.04")))


def _day_reserved() -> int:
    counter = counters.read(counters.day_key(budget_date_for()))
    return counter.reserved if counter else 0


def _rendering_video(channel) -> Video:
    """A video whose script and voice are paid and whose render N8N is running, with its holds."""
    video = VideoFactory(channel=channel, status=VideoStatus.PROCESSING)
    cost_record(video=video, service="openai", amount=D("0.05"), metadata={"step": "script"})
    holds = [cost_reserve(video=video, service=service, amount=amount) for service, amount in RENDER_HOLDS]
    requested = timezone.now().isoformat()
    Video.objects.filter(pk=video.pk).update(
        processing_started_at=timezone.now(),
        metadata={
            "pipeline": {
                "script": {"done": True},
                "voice": {"done": True},
                "render": {"attempts": 1, "requested_at": requested, "holds": [str(h.pk) for h in holds]},
            }
        },
    )
    video.refresh_from_db()
    return video


def _signed_n8n(api_client, kind: str, payload: dict):
    body = json.dumps(payload)
    return api_client.generic(
        "POST", N8N_PATHS[kind], body.encode(), content_type="application/json", **n8n_headers(body)
    )


def _admin_action(client, url: str, action: str, objects):
    return client.post(url, {"action": action, "_selected_action": [str(o.pk) for o in objects]}, follow=True)


# Each entrance: (stop it, the status it leaves, a phrase its history carries).


def api_cancel(ctx):
    response = ctx.owner_client.post(f"/api/v1/videos/{ctx.video.pk}/cancel")
    assert response.status_code == 200, response.content
    return VideoStatus.CANCELLED, "cancelled by user"


def admin_cancel(ctx):
    response = _admin_action(ctx.staff_client, "/admin/videos/video/", "cancel_videos", [ctx.video])
    assert response.status_code == 200
    return VideoStatus.CANCELLED, "cancelled by staff"


def channel_archive_api(ctx):
    response = ctx.owner_client.delete(f"/api/v1/channels/{ctx.video.channel_id}")
    assert response.status_code in (200, 204), response.content
    return VideoStatus.CANCELLED, "channel archived"


def channel_archive_admin(ctx):
    response = _admin_action(ctx.staff_client, "/admin/channels/channel/", "archive_channels", [ctx.video.channel])
    assert response.status_code == 200
    return VideoStatus.CANCELLED, "channel archived"


def n8n_cost_alert_stop(ctx):
    response = _signed_n8n(ctx.api_client, "cost-alert", {"video_id": str(ctx.video.pk), "current_cost": "3.10"})
    assert response.status_code == 200 and response.json()["action"] == "STOP", response.content
    assert response.json()["reason"] == "cost_exceeded"
    return VideoStatus.CANCELLED, "cost_limit_exceeded"


def n8n_cost_alert_budget(ctx):
    ctx.settings.DAILY_COST_BUDGET = D("0.05")  # today's recorded spend: the budget is exhausted
    response = _signed_n8n(ctx.api_client, "cost-alert", {"video_id": str(ctx.video.pk), "current_cost": "0.30"})
    assert response.status_code == 200, response.content
    assert (response.json()["action"], response.json()["reason"]) == ("STOP", "budget_exhausted")
    return VideoStatus.PROCESSING, "daily cost budget reached"  # parked until the next budget day


def render_attempts_exhausted(ctx):
    ctx.settings.PIPELINE_MAX_RENDER_ATTEMPTS = 1
    later = timezone.now() + timedelta(seconds=ctx.settings.PIPELINE_RENDER_TIMEOUT_SECONDS + 60)
    assert pipeline_sweep(now=later)["render_failed"] == 1
    return VideoStatus.FAILED, "Render timed out"


def permanent_step_failure(ctx):
    # The script step is not done yet here; the LLM answers 400 (a permanent error).
    Video.objects.filter(pk=ctx.video.pk).update(metadata={})
    ctx.providers.openai.fail_next(400)
    step_script_task.delay(str(ctx.video.pk))
    return VideoStatus.FAILED, "script failed"


def hard_stop(ctx):
    spending.video_charge(video=ctx.video, service="tts", amount=D("2.95"))
    return VideoStatus.CANCELLED, "cost_limit_exceeded"


def stripe_downgrade(ctx):
    owner = ctx.video.channel.user
    owner.stripe_customer_id = "cus_stop_1"
    owner.save(update_fields=["stripe_customer_id"])
    base = int(time.time())
    created = stripe_event(
        "customer.subscription.created", subscription_obj(sub_id="sub_stop", customer="cus_stop_1"), created=base
    )
    assert post_stripe_event(ctx.api_client, created).status_code == 200
    deleted = stripe_event(
        "customer.subscription.deleted",
        subscription_obj(sub_id="sub_stop", customer="cus_stop_1", status="canceled"),
        created=base + 10,
    )
    response = post_stripe_event(ctx.api_client, deleted)
    assert response.status_code == 200 and response.json()["tier"] == "free", response.content
    return VideoStatus.CANCELLED, "channel limit"


ENTRANCES = [
    api_cancel,
    admin_cancel,
    channel_archive_api,
    channel_archive_admin,
    n8n_cost_alert_stop,
    n8n_cost_alert_budget,
    render_attempts_exhausted,
    permanent_step_failure,
    hard_stop,
    stripe_downgrade,
]


class Context:
    pass


@pytest.mark.parametrize("entrance", ENTRANCES, ids=[e.__name__ for e in ENTRANCES])
def test_every_entrance_that_stops_a_video_gives_its_money_back(
    entrance,
    settings,
    user,
    staff_user,
    client,
    api_client,
    client_for,
    live_providers,
    django_capture_on_commit_callbacks,
):
    configure_stripe(settings)
    settings.N8N_WEBHOOK_SECRET = N8N_SECRET
    user.tier = "growth"
    user.channel_limit = 25
    user.save(update_fields=["tier", "channel_limit"])
    # Five older channels, so a downgrade to free (5 channels) pauses the newest: the video's.
    for _ in range(5):
        ChannelFactory(user=user, status=ChannelStatus.ACTIVE)
    channel = ChannelFactory(user=user, status=ChannelStatus.ACTIVE)
    ctx = Context()
    ctx.settings, ctx.providers, ctx.api_client = settings, live_providers, api_client
    ctx.owner_client = client_for(user)
    client.force_login(staff_user)
    ctx.staff_client = client
    with django_capture_on_commit_callbacks(execute=True):
        ctx.video = _rendering_video(channel)
    reserved_before = _day_reserved()
    assert reserved_before == 240_000  # the two render holds, $0.24, counted for today
    assert cost_budget_status().day_reserved == D("0.24")

    with django_capture_on_commit_callbacks(execute=True):
        expected_status, why = entrance(ctx)

    video = Video.objects.get(pk=ctx.video.pk)
    assert video.status == expected_status
    assert not Reservation.objects.filter(video=video, status=ReservationStatus.OPEN).exists()
    assert _day_reserved() == 0
    assert cost_budget_status().day_reserved == D("0")
    history = " | ".join(
        f"{e.to_status} {e.reason} {video.error_message}" for e in VideoEvent.objects.filter(video=video)
    )
    assert why in history, history
    # No further step runs: the next step spends nothing and changes nothing.
    holds_before = Reservation.objects.filter(video=video).count()
    for step in ("render", "upload", "script"):
        assert pipeline_run_step(video_id=video.pk, step=step) is None
    assert Reservation.objects.filter(video=video).count() == holds_before
    assert Video.objects.get(pk=video.pk).status == expected_status
