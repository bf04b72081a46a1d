"""The delivery log in the admin: list, filters, detail and the re-process action."""

import pytest
from django.urls import reverse

from videos.services import video_transition
from webhooks.demo import create_demo_data
from webhooks.models import WebhookEvent, WebhookResult

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:webhooks_webhookevent_changelist"


def _complete(video):
    return {"video_id": str(video.pk), "status": "completed", "video_path": "/media/v.mp4"}


def test_changelist_lists_deliveries_with_filters(staff_client, n8n_post, make_video, django_assert_max_num_queries):
    video = make_video()
    n8n_post("progress", {"video_id": str(video.pk), "step": "render", "percent": 10})
    n8n_post(
        "progress",
        {"video_id": str(video.pk), "step": "render", "percent": 20},
        headers={"HTTP_WEBHOOK_SIGNATURE": "v1,AAAA"},
    )

    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert response.content.count(b"progress") >= 2

    rejected = staff_client.get(reverse(CHANGELIST), {"result__exact": "rejected"})
    assert rejected.status_code == 200
    assert rejected.context["cl"].result_count == 1

    row = WebhookEvent.objects.get(result=WebhookResult.PROCESSED)
    detail = staff_client.get(reverse("admin:webhooks_webhookevent_change", args=[row.pk]))
    assert detail.status_code == 200
    assert b"percent" in detail.content


def test_reprocess_applies_a_failed_delivery_once_the_video_is_ready_for_it(staff_client, n8n_post, make_video):
    video = make_video(status="queued")
    assert n8n_post("video-complete", _complete(video), msg_id="msg_admin").status_code == 409
    failed = WebhookEvent.objects.get(event_id="msg_admin")
    video_transition(video=video, to_status="processing", reason="picked up")

    response = staff_client.post(
        reverse(CHANGELIST), {"action": "reprocess_events", "_selected_action": [str(failed.pk)]}, follow=True
    )

    assert response.status_code == 200
    assert "Re-processed 1 delivery" in response.content.decode()
    failed.refresh_from_db()
    assert failed.result == WebhookResult.PROCESSED and failed.error == ""
    video.refresh_from_db()
    assert video.status == "ready"

    # Again: already processed, nothing happens.
    response = staff_client.post(
        reverse(CHANGELIST), {"action": "reprocess_events", "_selected_action": [str(failed.pk)]}, follow=True
    )
    assert "already took effect" in response.content.decode()


def test_reprocess_refuses_unsigned_deliveries_and_ids_already_processed(staff_client, n8n_post, make_video):
    video = make_video()
    n8n_post(
        "progress",
        {"video_id": str(video.pk), "step": "a", "percent": 5},
        headers={"HTTP_WEBHOOK_SIGNATURE": "v1,AAAA"},
    )
    unsigned = WebhookEvent.objects.get(result=WebhookResult.REJECTED)
    response = staff_client.post(
        reverse(CHANGELIST), {"action": "reprocess_events", "_selected_action": [str(unsigned.pk)]}, follow=True
    )
    assert "valid signature" in response.content.decode()
    video.refresh_from_db()
    assert "progress" not in video.metadata

    # A failed row whose id later succeeded cannot be applied a second time.
    other = make_video(status="queued")
    n8n_post("video-complete", _complete(other), msg_id="msg_twice")
    video_transition(video=other, to_status="processing", reason="picked up")
    n8n_post("video-complete", _complete(other), msg_id="msg_twice")
    failed = WebhookEvent.objects.get(event_id="msg_twice", result=WebhookResult.FAILED)
    response = staff_client.post(
        reverse(CHANGELIST), {"action": "reprocess_events", "_selected_action": [str(failed.pk)]}, follow=True
    )
    assert "already been processed" in response.content.decode()


def test_reprocess_records_a_new_failure(staff_client, n8n_post, make_video):
    video = make_video(status="cancelled")
    n8n_post("video-complete", _complete(video), msg_id="msg_still_bad")
    failed = WebhookEvent.objects.get(event_id="msg_still_bad")
    response = staff_client.post(
        reverse(CHANGELIST), {"action": "reprocess_events", "_selected_action": [str(failed.pk)]}, follow=True
    )
    assert "Cannot change video status" in response.content.decode()
    failed.refresh_from_db()
    assert failed.result == WebhookResult.FAILED and failed.status_code == 409


def test_log_is_read_only(staff_client, n8n_post, make_video):
    video = make_video()
    n8n_post("progress", {"video_id": str(video.pk), "step": "a", "percent": 5})
    assert staff_client.get(reverse("admin:webhooks_webhookevent_add")).status_code == 403


def test_demo_data_is_idempotent(staff_user, user):
    first = create_demo_data(staff=staff_user, customer=user)
    second = create_demo_data(staff=staff_user, customer=user)
    assert "3 new" in first and "0 new" in second
    assert WebhookEvent.objects.count() == 3
