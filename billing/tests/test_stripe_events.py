"""Stripe's subscription events as billing applies them: tier changes, downgrades, ordering.

Posted through the real entrance (the signed Stripe webhook route), so each rule is checked the
way Stripe exercises it.
"""

import time

import pytest

from billing.models import BillingSubscription
from billing.tests.stripe_events import PRICES, checkout_session, stripe_event, subscription_obj

pytestmark = pytest.mark.django_db


def test_checkout_completed_upgrades_the_user_and_links_the_customer(stripe_post, user):
    response = stripe_post(stripe_event("checkout.session.completed", checkout_session(user)))
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.tier, user.channel_limit, user.daily_video_limit) == ("growth", 25, 100)
    assert user.stripe_customer_id == "cus_test_1" and user.stripe_subscription_id == "sub_1"
    assert BillingSubscription.objects.get().status == "active"


def test_unpaid_checkout_grants_nothing_until_the_subscription_is_active(stripe_post, user):
    stripe_post(stripe_event("checkout.session.completed", checkout_session(user, paid=False)))
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
    stripe_post(stripe_event("checkout.session.completed", checkout_session(customer), created=base))
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


def test_cancellation_drops_to_free_and_the_limits_follow(stripe_post, customer):
    base = int(time.time())
    stripe_post(
        stripe_event(
            "customer.subscription.created", subscription_obj(sub_id="sub_1", customer="cus_test_1"), created=base
        )
    )
    customer.refresh_from_db()
    assert (customer.tier, customer.channel_limit, customer.daily_video_limit) == ("growth", 25, 100)

    response = stripe_post(
        stripe_event(
            "customer.subscription.deleted",
            subscription_obj(sub_id="sub_1", customer="cus_test_1", status="canceled"),
            created=base + 10,
        )
    )

    assert response.status_code == 200
    assert response.json()["tier"] == "free"
    customer.refresh_from_db()
    assert (customer.tier, customer.channel_limit, customer.daily_video_limit) == ("free", 5, 10)
    assert customer.stripe_subscription_id == ""
    assert BillingSubscription.objects.get().status == "canceled"
