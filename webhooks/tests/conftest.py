import base64
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from billing.tests.stripe_events import configure_stripe, post_stripe_event
from videos.tests.factories import VideoFactory

N8N_SECRET = "whsec_" + base64.b64encode(b"n8n-test-secret-0123456789abcdef").decode()
OLD_N8N_SECRET = "whsec_" + base64.b64encode(b"n8n-old-secret-fedcba9876543210").decode()

N8N_PATHS = {
    "video-complete": "/api/v1/webhooks/n8n/video-complete",
    "progress": "/api/v1/webhooks/n8n/progress",
    "cost-alert": "/api/v1/webhooks/n8n/cost-alert",
}


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    configure_stripe(settings)
    settings.N8N_WEBHOOK_SECRET = N8N_SECRET
    settings.WEBHOOK_TOLERANCE_SECONDS = 300
    settings.WEBHOOK_MAX_BODY_BYTES = 16 * 1024


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


@pytest.fixture
def stripe_post(api_client):
    """POST a signed Stripe event: ``stripe_post(event, secret=..., timestamp=..., client=...)``."""

    def post(event: dict, *, client=None, **kwargs):
        return post_stripe_event(client or api_client, event, **kwargs)

    return post


@pytest.fixture
def customer(user):
    """A user already linked to the Stripe customer ``cus_test_1``."""
    user.stripe_customer_id = "cus_test_1"
    user.save(update_fields=["stripe_customer_id"])
    return user


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def make_video(db):
    def make(status: str = "processing", **kwargs):
        return VideoFactory(status=status, **kwargs)

    return make
