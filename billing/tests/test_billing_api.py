"""Checkout, portal and subscription endpoints against the local fake Stripe API."""

import pytest

from billing.models import BillingSubscription
from billing.tests.stripe_events import PRICES

pytestmark = pytest.mark.django_db

CHECKOUT = "/api/v1/billing/checkout"
PORTAL = "/api/v1/billing/portal"
SUBSCRIPTION = "/api/v1/billing/subscription"


def test_checkout_creates_a_customer_once_and_a_subscription_session(auth_client, user, fake_stripe):
    response = auth_client.post(CHECKOUT, {"tier": "growth"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["checkout_url"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert body["tier"] == "growth"
    user.refresh_from_db()
    assert user.stripe_customer_id.startswith("cus_")
    customer_call, session_call = fake_stripe.requests
    assert customer_call["path"] == "/v1/customers"
    assert customer_call["form"]["metadata"] == {"user_id": str(user.pk)}
    assert customer_call["headers"]["Idempotency-Key"].startswith(f"ytempire-customer-{user.pk}")
    assert customer_call["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    form = session_call["form"]
    assert session_call["path"] == "/v1/checkout/sessions"
    assert form["mode"] == "subscription"
    assert form["customer"] == user.stripe_customer_id
    assert form["client_reference_id"] == str(user.pk)
    assert form["line_items"] == [{"price": PRICES["growth"], "quantity": "1"}]
    assert form["subscription_data"]["metadata"] == {"user_id": str(user.pk), "tier": "growth"}
    assert form["success_url"].startswith("https://app.example.test/billing/success")

    # A second checkout reuses the customer.
    assert auth_client.post(CHECKOUT, {"tier": "scale"}, format="json").status_code == 200
    assert [r["path"] for r in fake_stripe.requests].count("/v1/customers") == 1
    assert len(fake_stripe.customers) == 1


@pytest.mark.parametrize("tier", ["free", "platinum", ""])
def test_checkout_refuses_tiers_that_cannot_be_bought(auth_client, fake_stripe, tier):
    response = auth_client.post(CHECKOUT, {"tier": tier}, format="json")
    assert response.status_code == 400
    assert fake_stripe.requests == []


def test_checkout_refuses_unknown_fields(auth_client, fake_stripe):
    response = auth_client.post(CHECKOUT, {"tier": "growth", "price": "price_cheap"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "price", "message": "Unknown field."}]


def test_checkout_needs_authentication(api_client, fake_stripe):
    assert api_client.post(CHECKOUT, {"tier": "growth"}, format="json").status_code == 401
    assert api_client.post(PORTAL).status_code == 401
    assert api_client.get(SUBSCRIPTION).status_code == 401


def test_checkout_for_a_tier_without_a_price_is_503(auth_client, fake_stripe, settings):
    settings.STRIPE_PRICE_IDS = {**PRICES, "scale": ""}
    response = auth_client.post(CHECKOUT, {"tier": "scale"}, format="json")
    assert response.status_code == 503
    assert "scale" in response.json()["detail"]


def test_checkout_when_already_subscribed_is_409(auth_client, user, fake_stripe):
    BillingSubscription.objects.create(user=user, stripe_subscription_id="sub_1", status="active", tier="growth")
    response = auth_client.post(CHECKOUT, {"tier": "scale"}, format="json")
    assert response.status_code == 409
    assert "billing portal" in response.json()["detail"]


def test_stripe_error_bodies_become_clear_errors(auth_client, fake_stripe, settings):
    settings.STRIPE_PRICE_IDS = {**PRICES, "growth": "price_deleted_in_stripe"}
    response = auth_client.post(CHECKOUT, {"tier": "growth"}, format="json")
    assert response.status_code == 502
    assert "No such price: 'price_deleted_in_stripe'" in response.json()["detail"]


def test_stripe_outage_is_503(auth_client, fake_stripe):
    fake_stripe.fail_next.append(fake_stripe.error(500, "An unknown error occurred", type_="api_error"))
    response = auth_client.post(CHECKOUT, {"tier": "growth"}, format="json")
    assert response.status_code == 503


def test_stripe_unreachable_is_503(auth_client, settings, db):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    response = auth_client.post(CHECKOUT, {"tier": "growth"}, format="json")
    assert response.status_code == 503
    assert "unavailable" in response.json()["detail"]


def test_wrong_api_key_is_reported_without_leaking_it(auth_client, fake_stripe, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_wrong_key_abcdef"
    response = auth_client.post(CHECKOUT, {"tier": "growth"}, format="json")
    assert response.status_code == 503
    assert "sk_test" not in response.content.decode()


def test_portal_needs_a_billing_account(auth_client, fake_stripe):
    response = auth_client.post(PORTAL)
    assert response.status_code == 409
    assert "checkout first" in response.json()["detail"]


def test_portal_returns_the_session_url(auth_client, user, fake_stripe):
    assert auth_client.post(CHECKOUT, {"tier": "starter"}, format="json").status_code == 200
    user.refresh_from_db()
    response = auth_client.post(PORTAL)
    assert response.status_code == 200, response.content
    assert response.json()["portal_url"].startswith("https://billing.stripe.com/p/session/")
    call = fake_stripe.requests[-1]
    assert call["path"] == "/v1/billing_portal/sessions"
    assert call["form"] == {"customer": user.stripe_customer_id, "return_url": "https://app.example.test/billing"}


def test_subscription_shows_the_plan(auth_client, user, django_assert_max_num_queries):
    BillingSubscription.objects.create(user=user, stripe_subscription_id="sub_old", status="canceled", tier="starter")
    BillingSubscription.objects.create(user=user, stripe_subscription_id="sub_now", status="active", tier="growth")
    user.stripe_subscription_id = "sub_now"
    user.tier, user.channel_limit, user.daily_video_limit = "growth", 25, 100
    user.save()

    with django_assert_max_num_queries(3):
        response = auth_client.get(SUBSCRIPTION)

    assert response.status_code == 200
    body = response.json()
    assert (body["tier"], body["channel_limit"], body["daily_video_limit"]) == ("growth", 25, 100)
    assert body["subscription"]["id"] == "sub_now" and body["subscription"]["status"] == "active"
    assert [t["tier"] for t in body["available_tiers"]] == ["free", "starter", "growth", "scale"]
    assert body["has_billing_account"] is False


def test_subscription_for_a_free_user(auth_client):
    body = auth_client.get(SUBSCRIPTION + "/").json()
    assert body["tier"] == "free" and body["subscription"] is None
