from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from ytempire.core.models import BaseModel

upload_time_validator = RegexValidator(
    r"^([01]\d|2[0-3]):[0-5]\d$", message="Upload time must be HH:MM (24-hour, UTC)."
)


class ChannelStatus(models.TextChoices):
    PENDING_OAUTH = "pending_oauth", "Pending OAuth"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    SUSPENDED = "suspended", "Suspended"
    ARCHIVED = "archived", "Archived"


class Channel(BaseModel):
    """A customer's YouTube channel whose videos the platform produces."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channels")
    youtube_account = models.ForeignKey(
        "youtube_pool.YouTubeAccount", on_delete=models.SET_NULL, null=True, blank=True, related_name="channels"
    )
    youtube_channel_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    youtube_channel_handle = models.CharField(max_length=255, blank=True, default="")
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    niche = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=ChannelStatus.choices, default=ChannelStatus.PENDING_OAUTH)
    automation_enabled = models.BooleanField(default=True)
    daily_video_limit = models.PositiveIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    upload_time_utc = models.CharField(max_length=5, blank=True, default="", validators=[upload_time_validator])
    settings = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    total_videos = models.PositiveIntegerField(default=0)
    total_views = models.BigIntegerField(default=0)
    total_subscribers = models.PositiveIntegerField(default=0)
    total_revenue_cents = models.BigIntegerField(default=0)

    class Meta:
        db_table = "channels"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="channels_user_created_idx"),
            models.Index(fields=["status"], name="channels_status_idx"),
            models.Index(fields=["niche"], name="channels_niche_idx"),
            models.Index(fields=["automation_enabled", "status"], name="channels_automation_idx"),
            models.Index(fields=["user", "name"], name="channels_user_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name
