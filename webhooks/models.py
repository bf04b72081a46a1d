from django.conf import settings
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


class SubscriptionStatus(models.TextChoices):
    INCOMPLETE = "incomplete", "Incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete expired"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    CANCELED = "canceled", "Canceled"
    UNPAID = "unpaid", "Unpaid"
    PAUSED = "paused", "Paused"


# Statuses that keep the paid tier (Stripe keeps retrying a past-due invoice before cancelling).
ENTITLED_STATUSES = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE})


class BillingSubscription(BaseModel):
    """The latest known state of one Stripe subscription, as told by Stripe's webhooks.

    ``state_event_created``/``state_event_rank`` remember which event the state came from, so
    an older event arriving late never overwrites a newer state (Stripe does not guarantee order).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_subscriptions")
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=30, choices=SubscriptionStatus.choices)
    tier = models.CharField(max_length=20)
    price_id = models.CharField(max_length=255, blank=True, default="")
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    payment_failed_at = models.DateTimeField(null=True, blank=True)
    state_event_id = models.CharField(max_length=255, blank=True, default="")
    state_event_created = models.BigIntegerField(default=0)
    state_event_rank = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "billing_subscriptions"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "status"], name="billing_sub_user_status_idx"),
            models.Index(fields=["stripe_customer_id"], name="billing_sub_customer_idx"),
            models.Index(fields=["status", "-created_at"], name="billing_sub_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_subscription_id} ({self.tier}, {self.status})"

    @property
    def is_entitled(self) -> bool:
        return self.status in ENTITLED_STATUSES
