from django.db.models import QuerySet

from .models import WebhookEvent


def webhook_event_list(*, source: str | None = None, result: str | None = None) -> QuerySet[WebhookEvent]:
    qs = WebhookEvent.objects.all()
    if source:
        qs = qs.filter(source=source)
    if result:
        qs = qs.filter(result=result)
    return qs.order_by("-received_at")
