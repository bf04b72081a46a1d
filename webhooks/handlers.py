"""Webhook handlers by (source, event type): validate the stored payload, call one service.

The views and the admin's re-process action both go through ``webhook_receive`` /
``webhook_reprocess`` with these handlers, so a replayed event obeys exactly the same rules.
The effects live with their owners: render results and progress in ``videos.render``, the
cost question in ``videos.spending``, Stripe's subscription events in ``billing.services``.
"""

from collections.abc import Callable

from billing.services import stripe_event_apply
from videos.render import video_render_complete, video_render_progress
from videos.spending import video_cost_alert

from .models import WebhookSource
from .serializers import (
    N8NCostAlertInputSerializer,
    N8NProgressInputSerializer,
    N8NVideoCompleteInputSerializer,
)

Handler = Callable[[dict], dict]

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
    return video_render_complete(**data)


def handle_n8n_progress(payload: dict) -> dict:
    return video_render_progress(**_validated(N8NProgressInputSerializer, payload))


def handle_n8n_cost_alert(payload: dict) -> dict:
    return video_cost_alert(**_validated(N8NCostAlertInputSerializer, payload))


HANDLERS: dict[tuple[str, str], Handler] = {
    (WebhookSource.N8N, N8N_VIDEO_COMPLETE): handle_n8n_video_complete,
    (WebhookSource.N8N, N8N_PROGRESS): handle_n8n_progress,
    (WebhookSource.N8N, N8N_COST_ALERT): handle_n8n_cost_alert,
}


def handler_for(*, source: str, event_type: str) -> Handler | None:
    """The handler of a delivery: N8N by route, Stripe for every event type (billing decides
    which types it handles and acknowledges the others)."""
    if source == WebhookSource.STRIPE:
        return stripe_event_apply
    return HANDLERS.get((source, event_type))
