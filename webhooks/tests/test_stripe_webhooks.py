"""The Stripe entrance: signatures by the stripe library's scheme, limits, idempotency, the log,
and dispatch to billing (end to end, including a downgrade's effect on channels)."""

import hashlib
import hmac
import json
import time

import pytest
import stripe

from billing.models import BillingSubscription
from billing.tests.stripe_events import STRIPE_WEBHOOK_SECRET, stripe_event, subscription_obj
from channels.tests.factories import ChannelFactory
from webhooks.models import WebhookEvent, WebhookResult

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/stripe"


def test_signed_event_is_accepted(stripe_post, customer):
    event = stripe_event("customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_test_1"))
    response = stripe_post(event)
    assert response.status_code == 200, response.content
    assert response.json()["handled"] is True and response.json()["tier"] == "growth"
    row = WebhookEvent.objects.get()
    assert (row.source, row.event_id, row.event_type) == ("stripe", event["id"], "customer.subscription.created")
    assert row.result == WebhookResult.PROCESSED and row.signature_valid


def test_signature_matches_stripes_documented_scheme(api_client, customer):
    """t=<ts>,v1=hex(HMAC-SHA256(secret, "<ts>.<payload>")), checked by stripe.Webhook.construct_event."""
    event = stripe_event("customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_test_1"))
    body = json.dumps(event)
    ts = int(time.time())
    sig = hmac.new(STRIPE_WEBHOOK_SECRET.encode(), f"{ts}.{body}".encode(), hashlib.sha256).hexdigest()
    header = f"t={ts},v1={sig}"
    assert header == stripe.WebhookSignature.generate_signature_header(body, STRIPE_WEBHOOK_SECRET, timestamp=ts)
    response = api_client.generic(
        "POST", URL, body.encode(), content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 200


def test_wrong_secret_old_timestamp_and_tampering_are_refused(api_client, stripe_post, customer):
    event = stripe_event("customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_test_1"))
    assert stripe_post(event, secret="whsec_not_ours").status_code == 401
    too_old = stripe_post(event, timestamp=int(time.time()) - 301)
    assert (too_old.status_code, too_old.json()["code"]) == (401, "timestamp_expired")

    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, STRIPE_WEBHOOK_SECRET)
    tampered = body.replace('"active"', '"activf"')
    response = api_client.generic(
        "POST", URL, tampered.encode(), content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Could not validate credentials", "code": "signature_invalid"}
    assert "Invalid Stripe signature" in WebhookEvent.objects.latest("created_at").error

    customer.refresh_from_db()
    assert customer.tier == "free"
    assert not BillingSubscription.objects.exists()
    assert set(WebhookEvent.objects.values_list("result", flat=True)) == {WebhookResult.REJECTED}


def test_stripe_body_over_the_limit_is_413(stripe_post, customer, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 512
    event = stripe_event("customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_test_1"))
    assert stripe_post(event).status_code == 413
    assert not BillingSubscription.objects.exists()


def test_cancellation_drops_to_free_and_pauses_channels_over_the_limit(stripe_post, customer):
    base = int(time.time())
    stripe_post(
        stripe_event(
            "customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_test_1"), created=base
        )
    )
    channels = [ChannelFactory(user=customer) for _ in range(7)]

    response = stripe_post(
        stripe_event(
            "customer.subscription.deleted",
            subscription_obj(sub_id="sub_1", customer="cus_test_1", status="canceled"),
            created=base + 10,
        )
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.tier, customer.channel_limit) == ("free", 5)
    assert customer.stripe_subscription_id == ""
    assert customer.channels.count() == 7  # nothing deleted
    paused = {c.pk for c in customer.channels.filter(automation_enabled=False)}
    assert paused == {c.pk for c in channels[5:]}  # the newest beyond the limit
    assert BillingSubscription.objects.get().status == "canceled"


def test_duplicate_event_id_applies_once(stripe_post, customer):
    event = stripe_event("customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_test_1"))
    first, second = stripe_post(event), stripe_post(event)
    assert first.status_code == second.status_code == 200
    assert second.json()["duplicate"] is True and first.json()["duplicate"] is False
    assert BillingSubscription.objects.count() == 1
    assert WebhookEvent.objects.filter(event_id=event["id"], result=WebhookResult.PROCESSED).count() == 1


def test_event_for_an_unknown_customer_is_404_and_logged(stripe_post, db):
    response = stripe_post(
        stripe_event("customer.subscription.created", subscription_obj(sub_id="sub_x", customer="cus_nobody"))
    )
    assert response.status_code == 404
    assert WebhookEvent.objects.get().result == WebhookResult.FAILED


def test_unhandled_event_types_are_acknowledged(stripe_post, db):
    response = stripe_post(stripe_event("charge.refunded", {"id": "ch_1", "object": "charge"}))
    assert response.status_code == 200
    assert response.json()["handled"] is False
    assert WebhookEvent.objects.get().result == WebhookResult.PROCESSED


def test_unconfigured_stripe_secret_is_503(stripe_post, settings, db):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = stripe_post(stripe_event("charge.refunded", {"id": "ch_1"}))
    assert response.status_code == 503


def test_stripe_event_query_count_is_bounded(stripe_post, customer, django_assert_max_num_queries):
    ChannelFactory.create_batch(3, user=customer)
    event = stripe_event("customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_test_1"))
    # Constant: independent of how many channels or subscriptions the user has. The tier changes
    # through its one door (accounts.user_set_tier, under the user's lock), whose tier_changed
    # event makes channels check the plan's channel limit (one lock, one select of the channels).
    with django_assert_max_num_queries(19):
        assert stripe_post(event).status_code == 200
