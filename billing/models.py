from django.conf import settings
from django.db import models

from ytempire.core.models import BaseModel


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
        # The table was created by the webhooks app (migration 0002) and kept its name when the
        # model moved here; billing's 0001 adopts it without touching the database.
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
