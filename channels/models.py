from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ytempire.core.models import BaseModel

UPLOAD_TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
UPLOAD_TIME_MESSAGE = "Upload time must be HH:MM (24-hour, UTC)."
upload_time_validator = RegexValidator(UPLOAD_TIME_PATTERN, message=UPLOAD_TIME_MESSAGE)
EVENT_KIND_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
event_kind_validator = RegexValidator(
    EVENT_KIND_PATTERN, message="An event kind is a short code: lowercase letters, digits and underscores."
)


class ChannelStatus(models.TextChoices):
    PENDING_OAUTH = "pending_oauth", "Pending OAuth"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    SUSPENDED = "suspended", "Suspended"
    ARCHIVED = "archived", "Archived"


class Channel(BaseModel):
    """A customer's YouTube channel whose videos the platform produces.

    A channel IS one YouTube channel: bound to at most one YouTube account (and an account to at most
    one channel), with that account's ``youtube_channel_id``/``youtube_channel_handle``. The binding
    changes only through ``channel_bind``/``channel_unbind``; an account cannot be deleted while bound.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channels")
    youtube_account = models.ForeignKey(
        "youtube_pool.YouTubeAccount", on_delete=models.PROTECT, null=True, blank=True, related_name="channels"
    )
    youtube_channel_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    youtube_channel_handle = models.CharField(max_length=255, blank=True, default="")
    # Staff only (admin): when the bound platform account dies, the pool may move the channel to a
    # reserve account by itself. Never part of the customer API; a customer's own channel never fails over.
    failover_to_reserve = models.BooleanField(default=False)
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
    # YouTube's figures, written only by channels.services.channel_stats_set / channel_revenue_set
    # (the stats sync). Revenue is null until the channel authorises revenue reads
    # (yt-analytics-monetary.readonly): "not authorised", never a made-up 0.
    total_views = models.BigIntegerField(default=0)
    total_subscribers = models.PositiveIntegerField(default=0)
    total_revenue_cents = models.BigIntegerField(null=True, blank=True, default=None)

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
        constraints = [
            # One YouTube account publishes for one channel only.
            models.UniqueConstraint(
                fields=["youtube_account"],
                condition=Q(youtube_account__isnull=False),
                name="channels_one_channel_per_account",
            ),
            # A bound channel knows which YouTube channel it is.
            models.CheckConstraint(
                condition=Q(youtube_account__isnull=True) | Q(youtube_channel_id__isnull=False),
                name="channels_bound_has_youtube_channel_id",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_connected(self) -> bool:
        return self.youtube_account_id is not None


class ChannelEvent(models.Model):
    """One row of a channel's history the owner sees: connected, disconnected, archived, suspended...

    ``kind`` is a short code, ``reason`` a human sentence, ``data`` small JSON facts; ``actor`` says
    who acted (for staff; not shown to customers). Written only through ``channel_event_record``,
    which keeps emails, tokens and server paths out of every field.
    """

    id = models.BigAutoField(primary_key=True)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, validators=[event_kind_validator])
    reason = models.CharField(max_length=500, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    actor = models.CharField(max_length=100, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "channel_events"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["channel", "-at", "-id"], name="channel_events_channel_at_idx"),
            models.Index(fields=["channel", "kind", "-at"], name="channel_events_kind_at_idx"),
            models.Index(fields=["-at"], name="channel_events_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.at:%Y-%m-%d %H:%M})" if self.at else self.kind
