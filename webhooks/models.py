from django.db import models
from django.db.models import Q
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
    """Every webhook delivery, accepted or refused: the log and the idempotency key in one table.

    A delivery's row is written with ``result=processed`` in the same transaction as its effect;
    the partial unique constraint below lets at most one row per (source, event id) be
    ``processed``, so a replayed id cannot take effect twice. Refused, failed and duplicate
    deliveries get their own rows (any number of them) for the audit trail.
    """

    source = models.CharField(max_length=20, choices=WebhookSource.choices)
    event_id = models.CharField(max_length=255, blank=True, default="")
    event_type = models.CharField(max_length=100, blank=True, default="")
    signature_valid = models.BooleanField(default=False)
    payload = models.JSONField(default=dict, blank=True)
    # What the endpoint answered (duplicates get the same answer back, flagged "duplicate").
    response = models.JSONField(default=dict, blank=True)
    result = models.CharField(max_length=20, choices=WebhookResult.choices, default=WebhookResult.RECEIVED)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    body_bytes = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "webhook_events"
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "event_id"],
                condition=Q(result="processed") & ~Q(event_id=""),
                name="webhook_events_processed_once",
            ),
        ]
        indexes = [
            models.Index(fields=["source", "-received_at"], name="webhook_events_source_idx"),
            models.Index(fields=["source", "event_id"], name="webhook_events_event_id_idx"),
            models.Index(fields=["result", "-received_at"], name="webhook_events_result_idx"),
            models.Index(fields=["event_type", "-received_at"], name="webhook_events_type_idx"),
            models.Index(fields=["signature_valid", "-received_at"], name="webhook_events_sig_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.event_type}:{self.event_id}"
