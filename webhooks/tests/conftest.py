import base64
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
import stripe
from standardwebhooks.webhooks import Webhook

from webhooks.tests.fake_stripe import FakeStripe

N8N_SECRET = "whsec_" + base64.b64encode(b"n8n-test-secret-0123456789abcdef").decode()
OLD_N8N_SECRET = "whsec_" + base64.b64encode(b"n8n-old-secret-fedcba9876543210").decode()
STRIPE_WEBHOOK_SECRET = "whsec_stripe_test_secret_abc123"
STRIPE_KEY = "sk_test_fake_0123456789"
PRICES = {"starter": "price_starter_m", "growth": "price_growth_m", "scale": "price_scale_m"}

N8N_PATHS = {
    "video-complete": "/api/v1/webhooks/n8n/video-complete",
    "progress": "/api/v1/webhooks/n8n/progress",
    "cost-alert": "/api/v1/webhooks/n8n/cost-alert",
}


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.N8N_WEBHOOK_SECRET = N8N_SECRET
    settings.WEBHOOK_TOLERANCE_SECONDS = 300
    settings.WEBHOOK_MAX_BODY_BYTES = 16 * 1024
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    settings.STRIPE_SECRET_KEY = STRIPE_KEY
    settings.STRIPE_PRICE_IDS = dict(PRICES)
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.FRONTEND_URL = "https://app.example.test"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: tests that call Stripe use fake_stripe


def sign_n8n(body: str, *, msg_id: str, timestamp: int, secret: str = N8N_SECRET) -> str:
    """The Standard Webhooks signature, computed by the reference package."""
    return Webhook(secret).sign(msg_id=msg_id, timestamp=datetime.fromtimestamp(timestamp, tz=UTC), data=body)


def n8n_headers(body: str, *, msg_id: str | None = None, timestamp: int | None = None, secret: str = N8N_SECRET):
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "HTTP_WEBHOOK_ID": msg_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(timestamp),
        "HTTP_WEBHOOK_SIGNATURE": sign_n8n(body, msg_id=msg_id, timestamp=timestamp, secret=secret),
    }


@pytest.fixture
def n8n_post(api_client):
    """POST a signed N8N callback: ``n8n_post("progress", {...}, msg_id=..., client=...)``."""

    def post(kind: str, payload, *, msg_id: str | None = None, client=None, headers: dict | None = None, **kw):
        body = payload if isinstance(payload, str) else json.dumps(payload)
        signed = n8n_headers(body, msg_id=msg_id, **kw)
        signed.update(headers or {})
        return (client or api_client).generic(
            "POST", N8N_PATHS[kind], body.encode(), content_type="application/json", **signed
        )

    return post


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


@pytest.fixture
def stripe_post(api_client):
    """POST a Stripe event signed with the stripe library's own scheme (t=...,v1=HMAC-SHA256 hex)."""

    def post(event: dict, *, secret: str = STRIPE_WEBHOOK_SECRET, timestamp: int | None = None, client=None):
        body = json.dumps(event, indent=2)
        header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
        return (client or api_client).generic(
            "POST",
            "/api/v1/webhooks/stripe",
            body.encode(),
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )

    return post


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


@pytest.fixture
def fake_stripe(settings):
    server = FakeStripe(api_key=STRIPE_KEY, prices=set(PRICES.values())).start()
    settings.STRIPE_API_BASE = server.url
    yield server
    server.stop()


@pytest.fixture
def make_video(db):
    from videos.tests.factories import VideoFactory

    def make(status: str = "processing", **kwargs):
        return VideoFactory(status=status, **kwargs)

    return make
