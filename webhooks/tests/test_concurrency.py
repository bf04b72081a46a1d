"""Concurrent replays of one delivery id, with real threads against PostgreSQL."""

import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from billing.tests.stripe_events import stripe_event, subscription_obj
from channels.tests.factories import ChannelFactory
from costs.services import cost_video_total
from videos.models import VideoEvent
from webhooks.models import WebhookEvent, WebhookResult
from webhooks.tests.conftest import N8N_PATHS, n8n_headers
from ytempire.core.testing import race

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

THREADS = 20


def test_twenty_concurrent_deliveries_of_one_id_have_exactly_one_effect(make_video):
    video = make_video()
    body = json.dumps(
        {
            "video_id": str(video.pk),
            "status": "completed",
            "video_path": "/media/v.mp4",
            "costs": [{"service": "render", "amount": "0.7500"}],
        }
    )
    headers = n8n_headers(body, msg_id="msg_storm")

    def send():
        response = APIClient().generic(
            "POST", N8N_PATHS["video-complete"], body.encode(), content_type="application/json", **headers
        )
        return response.status_code, response.json()

    results = race(send, THREADS)

    assert all(isinstance(r, tuple) for r in results), results
    assert [status for status, _ in results] == [200] * THREADS
    flags = sorted(payload["duplicate"] for _, payload in results)
    assert flags == [False] + [True] * (THREADS - 1)
    assert {payload["video_status"] for _, payload in results} == {"ready"}
    video.refresh_from_db()
    assert video.status == "ready"
    assert VideoEvent.objects.filter(video=video, to_status="ready").count() == 1
    assert cost_video_total(video=video) == Decimal("0.7500")
    rows = WebhookEvent.objects.filter(event_id="msg_storm")
    assert rows.filter(result=WebhookResult.PROCESSED).count() == 1
    assert rows.filter(result=WebhookResult.DUPLICATE).count() == THREADS - 1


def test_concurrent_stripe_deliveries_of_one_event_apply_once(stripe_post, user):
    ChannelFactory.create_batch(2, user=user)
    user.stripe_customer_id = "cus_storm"
    user.save(update_fields=["stripe_customer_id"])
    event = stripe_event(
        "customer.subscription.created",
        subscription_obj(sub_id="sub_storm", customer="cus_storm", user=user),
        event_id="evt_storm",
    )

    results = race(lambda: stripe_post(event, client=APIClient()).status_code, 10)

    assert results == [200] * 10
    user.refresh_from_db()
    assert user.tier == "growth" and user.stripe_subscription_id == "sub_storm"
    rows = WebhookEvent.objects.filter(event_id="evt_storm")
    assert rows.filter(result=WebhookResult.PROCESSED).count() == 1
    assert rows.filter(result=WebhookResult.DUPLICATE).count() == 9
