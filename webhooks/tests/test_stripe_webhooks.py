"""Stripe webhooks: signatures by the stripe library's scheme, tier changes, downgrades, ordering."""

import json
import time

import pytest
import stripe

from channels.tests.factories import ChannelFactory
from webhooks.models import BillingSubscription, WebhookEvent, WebhookResult
from webhooks.tests.conftest import PRICES, STRIPE_WEBHOOK_SECRET, stripe_event, subscription_obj

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/stripe"


@pytest.fixture
def customer(user):
    user.stripe_customer_id = "cus_test_1"
    user.save(update_fields=["stripe_customer_id"])
    return user


def _checkout_session(user, *, tier="growth", sub_id="sub_1", customer="cus_test_1", paid=True):
    return {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "subscription",
        "customer": customer,
        "subscription": sub_id,
        "client_reference_id": str(user.pk),
        "payment_status": "paid" if paid else "unpaid",
        "metadata": {"user_id": str(user.pk), "tier": tier},
    }


# --- signatures -------------------------------------------------------------------------


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
    import hashlib
    import hmac

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
    assert stripe_post(event, timestamp=int(time.time()) - 301).status_code == 401

    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, STRIPE_WEBHOOK_SECRET)
    tampered = body.replace('"active"', '"activf"')
    response = api_client.generic(
        "POST", URL, tampered.encode(), content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 401
    assert "Invalid Stripe signature" in response.json()["detail"]

    customer.refresh_from_db()
    assert customer.tier == "free"
    assert not BillingSubscription.objects.exists()
    assert set(WebhookEvent.objects.values_list("result", flat=True)) == {WebhookResult.REJECTED}


def test_stripe_body_over_the_limit_is_413(stripe_post, customer, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 512
    event = stripe_event("customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_test_1"))
    assert stripe_post(event).status_code == 413
    assert not BillingSubscription.objects.exists()


# --- tier changes -------------------------------------------------------------------------


def test_checkout_completed_upgrades_the_user_and_links_the_customer(stripe_post, user):
    response = stripe_post(stripe_event("checkout.session.completed", _checkout_session(user)))
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.tier, user.channel_limit, user.daily_video_limit) == ("growth", 25, 100)
    assert user.stripe_customer_id == "cus_test_1" and user.stripe_subscription_id == "sub_1"
    assert BillingSubscription.objects.get().status == "active"


def test_unpaid_checkout_grants_nothing_until_the_subscription_is_active(stripe_post, user):
    stripe_post(stripe_event("checkout.session.completed", _checkout_session(user, paid=False)))
    user.refresh_from_db()
    assert user.tier == "free"
    stripe_post(stripe_event("customer.subscription.updated", subscription_obj(sub_id="sub_1", customer="cus_test_1")))
    user.refresh_from_db()
    assert user.tier == "growth"


def test_subscription_update_changes_tier_and_limits(stripe_post, customer):
    base = int(time.time())
    stripe_post(
        stripe_event(
            "customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_test_1"), created=base
        )
    )
    stripe_post(
        stripe_event(
            "customer.subscription.updated",
            subscription_obj(sub_id="sub_1", customer="cus_test_1", price=PRICES["scale"]),
            created=base + 5,
        )
    )
    customer.refresh_from_db()
    assert (customer.tier, customer.channel_limit, customer.daily_video_limit) == ("scale", 100, 500)
    sub = BillingSubscription.objects.get()
    assert sub.price_id == PRICES["scale"] and sub.current_period_end is not None


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


def test_cancel_at_period_end_keeps_the_tier_until_the_end(stripe_post, customer):
    stripe_post(
        stripe_event(
            "customer.subscription.updated",
            subscription_obj(sub_id="sub_1", customer="cus_test_1", cancel_at_period_end=True),
        )
    )
    customer.refresh_from_db()
    assert customer.tier == "growth"
    assert BillingSubscription.objects.get().cancel_at_period_end is True


def test_payment_failure_is_recorded_and_the_tier_kept(stripe_post, customer):
    stripe_post(stripe_event("customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_test_1")))
    invoice = {
        "id": "in_1",
        "object": "invoice",
        "customer": "cus_test_1",
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_1", "metadata": {}}},
        "attempt_count": 1,
    }
    response = stripe_post(stripe_event("invoice.payment_failed", invoice))
    assert response.status_code == 200
    assert response.json()["payment_failed"] is True
    customer.refresh_from_db()
    assert customer.tier == "growth"
    assert BillingSubscription.objects.get().payment_failed_at is not None


def test_past_due_keeps_access_unpaid_removes_it(stripe_post, customer):
    base = int(time.time())
    for offset, status in ((0, "active"), (10, "past_due")):
        stripe_post(
            stripe_event(
                "customer.subscription.updated",
                subscription_obj(sub_id="sub_1", customer="cus_test_1", status=status),
                created=base + offset,
            )
        )
    customer.refresh_from_db()
    assert customer.tier == "growth"
    stripe_post(
        stripe_event(
            "customer.subscription.updated",
            subscription_obj(sub_id="sub_1", customer="cus_test_1", status="unpaid"),
            created=base + 20,
        )
    )
    customer.refresh_from_db()
    assert customer.tier == "free"


def test_best_of_several_subscriptions_wins(stripe_post, customer):
    stripe_post(
        stripe_event(
            "customer.subscription.created",
            subscription_obj(sub_id="sub_a", customer="cus_test_1", price=PRICES["starter"]),
        )
    )
    stripe_post(
        stripe_event(
            "customer.subscription.created",
            subscription_obj(sub_id="sub_b", customer="cus_test_1", price=PRICES["scale"]),
        )
    )
    customer.refresh_from_db()
    assert (customer.tier, customer.stripe_subscription_id) == ("scale", "sub_b")
    stripe_post(
        stripe_event(
            "customer.subscription.deleted",
            subscription_obj(sub_id="sub_b", customer="cus_test_1", price=PRICES["scale"], status="canceled"),
        )
    )
    customer.refresh_from_db()
    assert (customer.tier, customer.stripe_subscription_id) == ("starter", "sub_a")


# --- idempotency and ordering ---------------------------------------------------------------


def test_duplicate_event_id_applies_once(stripe_post, customer):
    event = stripe_event("customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_test_1"))
    first, second = stripe_post(event), stripe_post(event)
    assert first.status_code == second.status_code == 200
    assert second.json()["duplicate"] is True and first.json()["duplicate"] is False
    assert BillingSubscription.objects.count() == 1
    assert WebhookEvent.objects.filter(event_id=event["id"], result=WebhookResult.PROCESSED).count() == 1


def test_an_older_update_arriving_after_a_newer_one_is_ignored(stripe_post, customer):
    base = int(time.time())
    newer = stripe_event(
        "customer.subscription.updated",
        subscription_obj(sub_id="sub_1", customer="cus_test_1", price=PRICES["scale"]),
        created=base + 30,
    )
    older = stripe_event(
        "customer.subscription.updated",
        subscription_obj(sub_id="sub_1", customer="cus_test_1", price=PRICES["starter"]),
        created=base,
    )
    stripe_post(newer)
    response = stripe_post(older)
    assert response.status_code == 200 and response.json()["applied"] is False
    customer.refresh_from_db()
    assert customer.tier == "scale"
    assert BillingSubscription.objects.get().state_event_id == newer["id"]


def test_deletion_before_creation_stays_cancelled(stripe_post, customer):
    """Delivered out of order: the late 'created' (and checkout) cannot revive a cancelled subscription."""
    base = int(time.time())
    stripe_post(
        stripe_event(
            "customer.subscription.deleted",
            subscription_obj(sub_id="sub_1", customer="cus_test_1", status="canceled"),
            created=base + 60,
        )
    )
    stripe_post(
        stripe_event(
            "customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_test_1"), created=base
        )
    )
    stripe_post(stripe_event("checkout.session.completed", _checkout_session(customer), created=base))
    customer.refresh_from_db()
    assert customer.tier == "free"
    assert BillingSubscription.objects.get().status == "canceled"


def test_same_second_events_prefer_the_later_lifecycle_step(stripe_post, customer):
    ts = int(time.time())
    stripe_post(
        stripe_event(
            "customer.subscription.updated", subscription_obj(sub_id="sub_1", customer="cus_test_1"), created=ts
        )
    )
    stripe_post(
        stripe_event(
            "customer.subscription.created",
            subscription_obj(sub_id="sub_1", customer="cus_test_1", status="incomplete"),
            created=ts,
        )
    )
    customer.refresh_from_db()
    assert customer.tier == "growth"
    assert BillingSubscription.objects.get().status == "active"


def test_subscription_event_before_checkout_finds_the_user_by_metadata(stripe_post, user):
    """Our checkout puts user_id in the subscription's metadata, so order does not matter."""
    response = stripe_post(
        stripe_event("customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_new", user=user))
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.tier, user.stripe_customer_id) == ("growth", "cus_new")


# --- refusals ---------------------------------------------------------------------------


def test_event_for_an_unknown_customer_is_404_and_logged(stripe_post, db):
    response = stripe_post(
        stripe_event("customer.subscription.created", subscription_obj(sub_id="sub_x", customer="cus_nobody"))
    )
    assert response.status_code == 404
    assert WebhookEvent.objects.get().result == WebhookResult.FAILED


def test_unknown_price_is_refused_and_changes_nothing(stripe_post, customer):
    response = stripe_post(
        stripe_event(
            "customer.subscription.created",
            subscription_obj(sub_id="sub_1", customer="cus_test_1", price="price_legacy"),
        )
    )
    assert response.status_code == 422
    assert "price_legacy" in response.json()["detail"]
    customer.refresh_from_db()
    assert customer.tier == "free" and not BillingSubscription.objects.exists()


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
    # Constant: independent of how many channels or subscriptions the user has.
    with django_assert_max_num_queries(12):
        assert stripe_post(event).status_code == 200
