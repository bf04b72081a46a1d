"""Webhook handlers by (source, event type): validate the stored payload, call one service.

The views and the admin's re-process action both go through ``webhook_receive`` /
``webhook_reprocess`` with these handlers, so a replayed event obeys exactly the same rules.
"""

from collections.abc import Callable

from .models import WebhookSource
from .serializers import (
    N8NCostAlertInputSerializer,
    N8NProgressInputSerializer,
    N8NVideoCompleteInputSerializer,
)
from .services.billing import stripe_event_apply
from .services.n8n import n8n_cost_alert, n8n_progress, n8n_video_complete

N8N_VIDEO_COMPLETE = "video-complete"
N8N_PROGRESS = "progress"
N8N_COST_ALERT = "cost-alert"


def _validated(serializer_class, payload: dict) -> dict:
    serializer = serializer_class(data=payload)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def handle_n8n_video_complete(payload: dict) -> dict:
    data = _validated(N8NVideoCompleteInputSerializer, payload)
    data["costs"] = [dict(item) for item in data.get("costs") or []]
    return n8n_video_complete(**data)


def handle_n8n_progress(payload: dict) -> dict:
    return n8n_progress(**_validated(N8NProgressInputSerializer, payload))


def handle_n8n_cost_alert(payload: dict) -> dict:
    return n8n_cost_alert(**_validated(N8NCostAlertInputSerializer, payload))


N8N_HANDLERS: dict[str, Callable[[dict], dict]] = {
    N8N_VIDEO_COMPLETE: handle_n8n_video_complete,
    N8N_PROGRESS: handle_n8n_progress,
    N8N_COST_ALERT: handle_n8n_cost_alert,
}


def handler_for(*, source: str, event_type: str) -> Callable[[dict], dict] | None:
    if source == WebhookSource.N8N:
        return N8N_HANDLERS.get(event_type)
    if source == WebhookSource.STRIPE:
        return stripe_event_apply
    return None
