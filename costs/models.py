import uuid

from django.db import models
from django.utils import timezone

from ytempire.core.models import BaseModel


class VideoCost(models.Model):
    """The append-only cost ledger: one row per charge (corrections are negative rows)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="costs")
    service = models.CharField(max_length=50)
    amount = models.DecimalField(max_digits=10, decimal_places=4)
    timestamp = models.DateTimeField(default=timezone.now)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "video_costs"
        ordering = ["-timestamp"]
        indexes = [
            models.Index(fields=["video", "timestamp"], name="video_costs_video_idx"),
            models.Index(fields=["service"], name="video_costs_service_idx"),
            models.Index(fields=["-timestamp"], name="video_costs_timestamp_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.amount}"


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
        constraints = [models.UniqueConstraint(fields=["service", "model"], name="service_rate_unique")]

    def __str__(self) -> str:
        return f"{self.service}:{self.model} {self.price}/{self.unit}"
