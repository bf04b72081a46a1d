"""Stripe test material: our test keys and prices, events as Stripe sends them, signed posts.

Shared by billing's tests and the webhook entrance's tests (which import it; billing never
imports webhooks).
"""

import json
import time
import uuid

import stripe

STRIPE_WEBHOOK_SECRET = "whsec_stripe_test_secret_abc123"
STRIPE_KEY = "sk_test_fake_0123456789"
PRICES = {"starter": "price_starter_m", "growth": "price_growth_m", "scale": "price_scale_m"}
STRIPE_WEBHOOK_URL = "/api/v1/webhooks/stripe"


def configure_stripe(settings) -> None:
    """Billing settings for tests (``settings`` is pytest-django's fixture)."""
    settings.WEBHOOK_TOLERANCE_SECONDS = 300
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    settings.STRIPE_SECRET_KEY = STRIPE_KEY
    settings.STRIPE_PRICE_IDS = dict(PRICES)
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.FRONTEND_URL = "https://app.example.test"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: tests that call Stripe use fake_stripe


def stripe_event(event_type: str, obj: dict, *, created: int | None = None, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": int(time.time()) if created is None else created,
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": obj},
    }


def post_stripe_event(client, event: dict, *, secret: str = STRIPE_WEBHOOK_SECRET, timestamp: int | None = None):
    """POST an event signed with the stripe library's own scheme (t=...,v1=HMAC-SHA256 hex)."""
    body = json.dumps(event, indent=2)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return client.generic(
        "POST", STRIPE_WEBHOOK_URL, body.encode(), content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def subscription_obj(
    *,
    sub_id: str,
    customer: str,
    user=None,
    status: str = "active",
    price: str = PRICES["growth"],
    cancel_at_period_end: bool = False,
) -> dict:
    now = int(time.time())
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "canceled_at": now if status == "canceled" else None,
        "created": now - 60,
        "metadata": {"user_id": str(user.pk)} if user is not None else {},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{sub_id}",
                    "object": "subscription_item",
                    "price": {"id": price, "object": "price"},
                    "quantity": 1,
                    "current_period_start": now - 60,
                    "current_period_end": now + 30 * 86400,
                }
            ],
        },
    }


def checkout_session(user, *, tier="growth", sub_id="sub_1", customer="cus_test_1", paid=True) -> dict:
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
