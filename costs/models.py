import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from ytempire.core.models import BaseModel


class LedgerIsAppendOnlyError(ValidationError):
    """The ledger is never changed in place: corrections are new (negative) rows."""


class ReservationStatus(models.TextChoices):
    OPEN = "open", "Open"
    SETTLED = "settled", "Settled"
    RELEASED = "released", "Released"
    EXPIRED = "expired", "Expired"


class ReservationBackend(models.TextChoices):
    REDIS = "redis", "Redis"
    DATABASE = "database", "Database"


class Reservation(models.Model):
    """A hold on money a pipeline step is about to spend (like a card authorisation).

    Counted against the video, its budget day and month while ``open`` and not past
    ``expires_at``; settled by ``cost_record``, released by ``cost_release``, or left to expire
    when a worker dies.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="cost_reservations")
    service = models.CharField(max_length=50)
    amount = models.DecimalField(max_digits=10, decimal_places=4)
    budget_date = models.DateField()
    status = models.CharField(max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.OPEN)
    backend = models.CharField(max_length=10, choices=ReservationBackend.choices, default=ReservationBackend.REDIS)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "cost_reservations"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="cost_res_status_exp_idx"),
            models.Index(fields=["video", "status"], name="cost_res_video_status_idx"),
            models.Index(fields=["budget_date", "status"], name="cost_res_day_status_idx"),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="cost_res_amount_positive")]

    def __str__(self) -> str:
        return f"hold {self.service} {self.amount} ({self.status})"


class VideoCost(models.Model):
    """The append-only cost ledger: one row per charge (corrections are negative rows).

    ``budget_date`` is the budget day the charge counts for: the day its reservation was
    taken (a hold settled after midnight stays on the day it was made), otherwise the day
    of ``timestamp`` in COST_BUDGET_TIMEZONE.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="costs")
    service = models.CharField(max_length=50)
    amount = models.DecimalField(max_digits=10, decimal_places=4)
    timestamp = models.DateTimeField(default=timezone.now)
    budget_date = models.DateField()
    reservation = models.OneToOneField(
        Reservation, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entry"
    )
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "video_costs"
        ordering = ["-timestamp"]
        indexes = [
            models.Index(fields=["video", "timestamp"], name="video_costs_video_idx"),
            models.Index(fields=["service"], name="video_costs_service_idx"),
            models.Index(fields=["-timestamp"], name="video_costs_timestamp_idx"),
            models.Index(fields=["budget_date", "service"], name="video_costs_day_service_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.amount}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnlyError("Ledger rows cannot be changed; record a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnlyError("Ledger rows cannot be deleted; record a correction instead.")


class CostBudgetLock(models.Model):
    """One row per budget day / month, locked (SELECT ... FOR UPDATE) by the database fallback."""

    key = models.CharField(max_length=20, primary_key=True)  # "day:2025-01-15" / "month:2025-01"

    class Meta:
        db_table = "cost_budget_locks"

    def __str__(self) -> str:
        return self.key


class ServiceRate(BaseModel):
    """The price of one unit of a service (per 1k tokens, per 1k characters, per render...)."""

    service = models.CharField(max_length=50)
    model = models.CharField(max_length=100, blank=True, default="")
    unit = models.CharField(max_length=30)
    price = models.DecimalField(max_digits=10, decimal_places=4)
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "service_rates"
        ordering = ["service", "model"]
        constraints = [
            models.UniqueConstraint(fields=["service", "model"], name="service_rate_unique"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="service_rate_price_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.service}:{self.model} {self.price}/{self.unit}"


class EstimateBasis(models.TextChoices):
    LEDGER = "ledger_p95", "p95 of recent videos"
    RATE_TABLE = "rate_table", "rate table"
    # Once a video's script is written (its revised estimate): what a step really cost, the exact
    # price of the characters to voice, the p95 spend per 1,000 script words times its words.
    SPENT = "spent", "spent"
    EXACT = "exact", "exact price"
    LEDGER_PER_WORD = "ledger_p95_per_word", "p95 per script word"


class CostCalibration(models.Model):
    """What one video really costs per level and service, learned from the ledger.

    ``amount`` is the p95 of the per-video spend on ``service`` over the last finished videos at
    ``level`` (``samples`` of them) — the estimate uses it (plus a margin) once there are enough
    samples, the rate table's bound before. Recomputed by a beat task.

    ``per_1000_script_words`` (for a service whose spend grows with the script, rendering) is the
    p95 of its spend per 1,000 words of script over the videos whose word count is known: a video's
    estimate is revised with it once its script is written."""

    level = models.CharField(max_length=20)
    service = models.CharField(max_length=50)
    amount = models.DecimalField(max_digits=10, decimal_places=4)
    samples = models.PositiveIntegerField(default=0)
    per_1000_script_words = models.DecimalField(
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="p95 of the spend per 1,000 script words (services that scale with the script).",
    )
    word_samples = models.PositiveIntegerField(default=0, help_text="Videos behind per_1000_script_words.")
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "cost_calibrations"
        ordering = ["level", "service"]
        constraints = [
            models.UniqueConstraint(fields=["level", "service"], name="cost_calibration_unique"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="cost_calibration_amount_non_negative"),
            models.CheckConstraint(
                condition=models.Q(per_1000_script_words__gte=0) | models.Q(per_1000_script_words__isnull=True),
                name="cost_calibration_per_word_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level}/{self.service}: p95 {self.amount} over {self.samples}"
