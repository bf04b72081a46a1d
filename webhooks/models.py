from django.db import models
from django.utils import timezone

from ytempire.core.models import BaseModel


class WebhookSource(models.TextChoices):
    N8N = "n8n", "N8N"
    STRIPE = "stripe", "Stripe"


class WebhookResult(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    DUPLICATE = "duplicate", "Duplicate"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


class WebhookEvent(BaseModel):
    """Every webhook delivery, accepted or refused."""

    source = models.CharField(max_length=20, choices=WebhookSource.choices)
    event_id = models.CharField(max_length=255, blank=True, default="")
    event_type = models.CharField(max_length=100, blank=True, default="")
    signature_valid = models.BooleanField(default=False)
    payload = models.JSONField(default=dict, blank=True)
    result = models.CharField(max_length=20, choices=WebhookResult.choices, default=WebhookResult.RECEIVED)
    error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "webhook_events"
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["source", "-received_at"], name="webhook_events_source_idx"),
            models.Index(fields=["source", "event_id"], name="webhook_events_event_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.event_type}:{self.event_id}"
