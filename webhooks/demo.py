"""Demo rows for `make run`: a few logged deliveries so the admin's webhook log is not empty."""

from .models import WebhookEvent, WebhookResult, WebhookSource

DEMO_EVENTS = [
    {
        "source": WebhookSource.N8N,
        "event_id": "msg_demo_progress",
        "event_type": "progress",
        "signature_valid": True,
        "result": WebhookResult.PROCESSED,
        "status_code": 200,
        "payload": {"demo": True, "step": "render", "percent": 50},
        "response": {"status": "received", "applied": True, "demo": True},
    },
    {
        "source": WebhookSource.N8N,
        "event_id": "msg_demo_unsigned",
        "event_type": "video-complete",
        "signature_valid": False,
        "result": WebhookResult.REJECTED,
        "status_code": 401,
        "error": "Missing webhook signature header(s): webhook-signature",
        "payload": {"demo": True},
    },
    {
        "source": WebhookSource.STRIPE,
        "event_id": "evt_demo_unhandled",
        "event_type": "charge.refunded",
        "signature_valid": True,
        "result": WebhookResult.PROCESSED,
        "status_code": 200,
        "payload": {"demo": True, "type": "charge.refunded"},
        "response": {"received": True, "handled": False},
    },
]


def create_demo_data(*, staff, customer) -> str:
    """Idempotent: the demo deliveries are keyed by (source, event id, result)."""
    created = 0
    for spec in DEMO_EVENTS:
        lookup = {k: spec[k] for k in ("source", "event_id", "result")}
        defaults = {k: v for k, v in spec.items() if k not in lookup}
        _, was_created = WebhookEvent.objects.get_or_create(**lookup, defaults=defaults)
        created += int(was_created)
    return f"webhooks: {len(DEMO_EVENTS)} demo deliveries in the log ({created} new)"
