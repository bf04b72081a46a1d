"""What the N8N callbacks do: the state machine, the costs ledger, idempotency and ordering."""

import json
from decimal import Decimal

import pytest
from django.utils import timezone

from costs.models import ReservationStatus, VideoCost
from costs.selectors import cost_budget_status
from costs.services import cost_record, cost_reserve, cost_video_total
from videos.models import VideoEvent
from videos.pipeline.state import update_state
from videos.services import video_transition
from webhooks.models import WebhookEvent, WebhookResult

pytestmark = pytest.mark.django_db


def _complete(video, **extra):
    return {
        "video_id": str(video.pk),
        "status": "completed",
        "video_path": f"/media/videos/{video.pk}.mp4",
        "thumbnail_path": f"/media/thumbs/{video.pk}.jpg",
        "duration_seconds": "61.5",
        **extra,
    }


# --- video-complete ---------------------------------------------------------------------


@pytest.mark.parametrize("status", ["completed", "success"])
def test_completion_moves_processing_to_ready_with_assets_and_costs(n8n_post, make_video, status):
    video = make_video()
    costs = [{"service": "render", "amount": "0.4000"}, {"service": "tts", "amount": "0.1250"}]

    response = n8n_post("video-complete", _complete(video, status=status, costs=costs))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["video_status"] == "ready" and body["costs_recorded"] == 2
    assert body["total_cost"] == 0.525 and body["duplicate"] is False  # money is a JSON number
    video.refresh_from_db()
    assert video.status == "ready"
    assert video.video_path.endswith(".mp4") and video.thumbnail_path.endswith(".jpg")
    assert video.metadata["duration_seconds"] == 61.5
    assert video.processing_completed_at is not None
    assert cost_video_total(video=video) == Decimal("0.5250")
    assert VideoCost.objects.filter(video=video, metadata__source="n8n").count() == 2
    event = VideoEvent.objects.get(video=video, to_status="ready")
    assert event.from_status == "processing" and event.reason == "n8n render completed"


def test_failure_moves_the_video_to_failed_with_the_error(n8n_post, make_video):
    video = make_video()
    response = n8n_post(
        "video-complete",
        {"video_id": str(video.pk), "status": "failed", "error": "ffmpeg exited with 1", "costs": []},
    )
    assert response.status_code == 200, response.content
    video.refresh_from_db()
    assert video.status == "failed"
    assert video.error_message == "ffmpeg exited with 1"


def test_completion_of_an_unknown_video_is_404_and_changes_nothing(n8n_post, make_video):
    make_video()
    response = n8n_post(
        "video-complete",
        {"video_id": "00000000-0000-4000-8000-000000000000", "status": "completed", "video_path": "/x.mp4"},
        msg_id="msg_unknown_video",
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Video not found"}
    logged = WebhookEvent.objects.get(event_id="msg_unknown_video")
    assert logged.result == WebhookResult.FAILED and logged.status_code == 404
    assert logged.signature_valid


def test_completion_of_a_cancelled_video_is_409_and_records_nothing(n8n_post, make_video):
    video = make_video(status="cancelled")
    response = n8n_post("video-complete", _complete(video, costs=[{"service": "render", "amount": "0.40"}]))

    assert response.status_code == 409
    body = response.json()
    assert "cancelled" in body["detail"] and "ready" in body["detail"]
    assert body["from_status"] == "cancelled"
    video.refresh_from_db()
    assert video.status == "cancelled" and video.video_path == ""
    assert not VideoCost.objects.filter(video=video).exists()
    assert WebhookEvent.objects.get().result == WebhookResult.FAILED


def test_a_refused_delivery_does_not_burn_its_id(n8n_post, make_video):
    """A 409 rolls back the claim: the same id can succeed once the video is in a valid state."""
    video = make_video(status="queued")
    payload = _complete(video)
    assert n8n_post("video-complete", payload, msg_id="msg_retry_me").status_code == 409
    video_transition(video=video, to_status="processing", reason="worker picked it up")

    response = n8n_post("video-complete", payload, msg_id="msg_retry_me")

    assert response.status_code == 200 and response.json()["duplicate"] is False
    results = sorted(WebhookEvent.objects.filter(event_id="msg_retry_me").values_list("result", flat=True))
    assert results == ["failed", "processed"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": "done"}, "status"),
        ({"video_path": ""}, "video_path"),
        ({"unexpected": 1}, "unexpected"),
        ({"video_id": "not-a-uuid"}, "video_id"),
        ({"costs": [{"service": "render", "amount": "-1"}]}, "costs.0.amount"),
        ({"costs": [{"service": "render", "amount": 0.1}]}, None),
    ],
)
def test_invalid_bodies_are_400_and_change_nothing(n8n_post, make_video, change, field):
    video = make_video()
    response = n8n_post("video-complete", {**_complete(video), **change})
    if field is None:  # a JSON number is fine for the decimal field: the serializer parses it exactly
        assert response.status_code == 200
        return
    assert response.status_code == 400, response.content
    assert field in [error["field"] for error in response.json()["errors"]]
    video.refresh_from_db()
    assert video.status == "processing"
    assert WebhookEvent.objects.get().result == WebhookResult.REJECTED


def test_replayed_id_has_one_effect_and_answers_duplicate(n8n_post, make_video):
    video = make_video()
    payload = _complete(video, costs=[{"service": "render", "amount": "0.50"}])
    first = n8n_post("video-complete", payload, msg_id="msg_once")
    second = n8n_post("video-complete", payload, msg_id="msg_once")

    assert first.status_code == second.status_code == 200
    assert second.json()["duplicate"] is True
    assert second.json()["video_status"] == first.json()["video_status"] == "ready"
    assert cost_video_total(video=video) == Decimal("0.5000")
    assert VideoEvent.objects.filter(video=video, to_status="ready").count() == 1
    results = sorted(WebhookEvent.objects.filter(event_id="msg_once").values_list("result", flat=True))
    assert results == ["duplicate", "processed"]


def test_a_second_completion_with_a_new_id_is_an_invalid_transition(n8n_post, make_video):
    video = make_video()
    assert n8n_post("video-complete", _complete(video)).status_code == 200
    response = n8n_post("video-complete", _complete(video))
    assert response.status_code == 409
    assert "from 'ready' to 'ready'" in response.json()["detail"]


def test_costs_reported_by_n8n_count_against_the_video_limit(n8n_post, make_video, settings):
    """Costs go through the ledger, so its rules apply: over MAX_COST_PER_VIDEO the video is cancelled."""
    settings.MAX_COST_PER_VIDEO = Decimal("1.00")
    settings.WARNING_COST_THRESHOLD = Decimal("0.80")
    video = make_video()
    response = n8n_post("video-complete", _complete(video, costs=[{"service": "render", "amount": "1.20"}]))

    assert response.status_code == 200
    assert response.json()["video_status"] == "cancelled"
    video.refresh_from_db()
    assert video.status == "cancelled" and "Cost limit exceeded" in video.error_message


# --- progress ---------------------------------------------------------------------------


def test_progress_is_stored_on_the_video_and_in_its_history(n8n_post, make_video):
    video = make_video()
    response = n8n_post("progress", {"video_id": str(video.pk), "step": "voiceover", "percent": 35, "message": "tts"})
    assert response.status_code == 200
    video.refresh_from_db()
    assert video.metadata["progress"]["step"] == "voiceover"
    assert video.metadata["progress"]["percent"] == 35
    assert VideoEvent.objects.filter(video=video, reason__startswith="progress: voiceover").count() == 1


def test_out_of_order_progress_never_goes_backwards(n8n_post, make_video):
    video = make_video()
    assert n8n_post("progress", {"video_id": str(video.pk), "step": "render", "percent": 60}).json()["applied"]
    late = n8n_post("progress", {"video_id": str(video.pk), "step": "script", "percent": 20})

    assert late.status_code == 200
    assert late.json()["applied"] is False and "Stale" in late.json()["reason"]
    video.refresh_from_db()
    assert video.metadata["progress"]["percent"] == 60


def test_progress_after_completion_is_acknowledged_and_ignored(n8n_post, make_video):
    video = make_video()
    assert n8n_post("video-complete", _complete(video)).status_code == 200
    late = n8n_post("progress", {"video_id": str(video.pk), "step": "render", "percent": 90})
    assert late.status_code == 200
    assert late.json()["applied"] is False and "ready" in late.json()["reason"]
    video.refresh_from_db()
    assert video.status == "ready" and "progress" not in video.metadata


@pytest.mark.parametrize("percent", [-1, 101, "half"])
def test_progress_percent_is_validated(n8n_post, make_video, percent):
    video = make_video()
    response = n8n_post("progress", {"video_id": str(video.pk), "step": "render", "percent": percent})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "percent"


# --- cost-alert -------------------------------------------------------------------------


def test_cost_alert_within_limits_continues(n8n_post, make_video):
    video = make_video()
    response = n8n_post("cost-alert", {"video_id": str(video.pk), "current_cost": "0.50", "service": "openai"})
    assert response.status_code == 200
    body = response.json()
    assert (body["action"], body["reason"]) == ("CONTINUE", "within_limits")
    assert (body["current_cost"], body["max_cost"], body["remaining_budget"]) == (0.5, 3.0, 2.5)


def test_cost_alert_uses_the_ledger_when_it_is_higher_than_the_report(n8n_post, make_video):
    video = make_video()
    cost_record(video=video, service="openai", amount=Decimal("2.60"))
    response = n8n_post("cost-alert", {"video_id": str(video.pk), "current_cost": "0.10"})
    body = response.json()
    assert body["action"] == "CONTINUE" and body["reason"] == "warning_threshold_economy_mode"
    assert body["current_cost"] == 2.6
    video.refresh_from_db()
    assert video.optimization_level == "economy"


def test_cost_alert_at_the_warning_threshold_switches_to_economy(n8n_post, make_video):
    video = make_video()
    response = n8n_post("cost-alert", {"video_id": str(video.pk), "current_cost": "2.50"})
    assert response.json()["action"] == "CONTINUE"
    video.refresh_from_db()
    assert video.optimization_level == "economy"
    assert video.status == "processing"


def test_cost_alert_over_the_limit_stops_and_cancels_the_video(n8n_post, make_video):
    video = make_video()
    response = n8n_post("cost-alert", {"video_id": str(video.pk), "current_cost": "3.00"})
    body = response.json()
    assert (body["action"], body["reason"]) == ("STOP", "cost_exceeded")
    video.refresh_from_db()
    assert video.status == "cancelled"
    assert video.error_message == "Cost limit exceeded: $3.00"


def test_cost_alert_when_the_budget_is_exhausted_stops_and_parks(
    n8n_post, make_video, settings, django_capture_on_commit_callbacks
):
    """Issue 10: an exhausted budget parks the video until the next budget day (the same answer
    as the pipeline's), it does not fail it: the render N8N runs is stopped and its holds given back."""
    settings.DAILY_COST_BUDGET = Decimal("1.00")
    video = make_video()
    with django_capture_on_commit_callbacks(execute=True):
        hold = cost_reserve(video=video, service="render", amount=Decimal("0.20"))
        update_state(video.pk, step="render", requested_at=timezone.now().isoformat(), attempts=1, holds=[str(hold.pk)])
        spender = make_video()
        cost_record(video=spender, service="render", amount=Decimal("0.90"))
    assert cost_budget_status().day_reserved == Decimal("0.2000")

    with django_capture_on_commit_callbacks(execute=True):
        response = n8n_post("cost-alert", {"video_id": str(video.pk), "current_cost": "0.10"})

    body = response.json()
    assert (body["action"], body["reason"]) == ("STOP", "budget_exhausted")
    video.refresh_from_db()
    assert video.status == "processing"
    assert video.metadata["pipeline"]["wait"]["reason"] == "budget"
    assert video.metadata["pipeline"]["render"]["stopped"] is True
    hold.refresh_from_db()
    assert hold.status == ReservationStatus.RELEASED
    assert cost_budget_status().day_reserved == Decimal("0")


@pytest.mark.parametrize("status", ["cancelled", "failed", "published"])
def test_cost_alert_for_a_stopped_video_says_stop(n8n_post, make_video, status):
    video = make_video(status=status)
    body = n8n_post("cost-alert", {"video_id": str(video.pk)}).json()
    assert body["action"] == "STOP"
    assert body["reason"] in (f"video_{status}", "video_not_processing")


def test_cost_alert_duplicate_returns_the_original_answer(n8n_post, make_video):
    video = make_video()
    first = n8n_post("cost-alert", {"video_id": str(video.pk), "current_cost": "3.10"}, msg_id="msg_alert")
    second = n8n_post("cost-alert", {"video_id": str(video.pk), "current_cost": "0.01"}, msg_id="msg_alert")
    assert first.json()["action"] == second.json()["action"] == "STOP"
    assert second.json()["reason"] == "cost_exceeded" and second.json()["duplicate"] is True
    # The stored answer is replayed with its money as numbers too, never as the stored strings.
    assert first.json()["current_cost"] == second.json()["current_cost"] == 3.1
    assert second.json()["remaining_budget"] == 0.0


def test_cost_amounts_may_be_numbers_and_are_rounded_to_four_places(n8n_post, make_video):
    video = make_video()
    costs = [{"service": "render", "amount": 0.12345}, {"service": "tts", "amount": 1}]

    response = n8n_post("video-complete", _complete(video, costs=costs))

    assert response.status_code == 200, response.content
    assert response.json()["total_cost"] == 1.1235  # 0.12345 rounds half-up to 0.1235


@pytest.mark.parametrize("amount", [True, "1e3", "0x10", "NaN", [1], {"v": 1}, "1000000", 1000000, -0.01])
def test_cost_amounts_that_are_not_money_are_400(n8n_post, make_video, amount):
    video = make_video()

    response = n8n_post("video-complete", _complete(video, costs=[{"service": "render", "amount": amount}]))

    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"].startswith("costs")


def test_cost_alert_unknown_video_is_404(n8n_post, db):
    response = n8n_post("cost-alert", {"video_id": "00000000-0000-4000-8000-000000000001"})
    assert response.status_code == 404


def test_log_rows_keep_payload_and_response(n8n_post, make_video):
    video = make_video()
    n8n_post("cost-alert", {"video_id": str(video.pk), "current_cost": "0.20"}, msg_id="msg_log")
    row = WebhookEvent.objects.get(event_id="msg_log")
    assert row.payload == {"video_id": str(video.pk), "current_cost": "0.20"}
    assert row.response["action"] == "CONTINUE"
    assert row.body_bytes == len(json.dumps(row.payload))


def test_an_id_reused_for_another_endpoint_is_409(n8n_post, make_video):
    video = make_video()
    assert (
        n8n_post("progress", {"video_id": str(video.pk), "step": "a", "percent": 5}, msg_id="msg_reused").status_code
        == 200
    )
    response = n8n_post("video-complete", _complete(video), msg_id="msg_reused")
    assert response.status_code == 409
    assert "already used for a 'progress' delivery" in response.json()["detail"]
    video.refresh_from_db()
    assert video.status == "processing"


@pytest.mark.parametrize(
    ("kind", "payload", "limit"),
    [
        ("progress", lambda v: {"video_id": str(v.pk), "step": "render", "percent": 50}, 10),
        ("cost-alert", lambda v: {"video_id": str(v.pk), "current_cost": "0.10"}, 9),
        ("video-complete", lambda v: _complete(v, costs=[{"service": "render", "amount": "0.10"}]), 21),
    ],
)
def test_webhook_query_counts_are_bounded(n8n_post, make_video, django_assert_max_num_queries, kind, payload, limit):
    video = make_video()
    with django_assert_max_num_queries(limit):
        assert n8n_post(kind, payload(video)).status_code == 200


def test_duplicate_costs_two_queries_plus_the_log_row(n8n_post, make_video, django_assert_max_num_queries):
    video = make_video()
    n8n_post("progress", {"video_id": str(video.pk), "step": "a", "percent": 5}, msg_id="msg_dup_q")
    with django_assert_max_num_queries(6):
        response = n8n_post("progress", {"video_id": str(video.pk), "step": "a", "percent": 5}, msg_id="msg_dup_q")
    assert response.json()["duplicate"] is True
