from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ytempire.core.models import BaseModel


class VideoStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    UPLOADING = "uploading", "Uploading"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# The status sets, defined once. Active: the pipeline is working on it (it may spend). Final: it
# will spend nothing more (published is final for good; failed/cancelled only leave by a retry).
ACTIVE_STATUSES = frozenset({VideoStatus.QUEUED, VideoStatus.PROCESSING, VideoStatus.READY, VideoStatus.UPLOADING})
FINAL_STATUSES = frozenset({VideoStatus.PUBLISHED, VideoStatus.FAILED, VideoStatus.CANCELLED})
RETRYABLE_STATUSES = frozenset({VideoStatus.FAILED, VideoStatus.CANCELLED})
STOPPED_STATUSES = RETRYABLE_STATUSES  # stopped before publishing


class OptimizationLevel(models.TextChoices):
    ECONOMY = "economy", "Economy"
    STANDARD = "standard", "Standard"
    PREMIUM = "premium", "Premium"


class Complexity(models.TextChoices):
    SIMPLE = "simple", "Simple"
    MODERATE = "moderate", "Moderate"
    COMPLEX = "complex", "Complex"


class Video(BaseModel):
    """A video the platform produces for a channel. ``status`` changes only through videos.services."""

    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="videos")
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True, default="")
    script = models.TextField(blank=True, default="")
    tags = models.JSONField(default=list, blank=True)
    category_id = models.CharField(max_length=10, blank=True, default="")
    youtube_video_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    youtube_url = models.CharField(max_length=500, blank=True, default="")
    youtube_account_used = models.ForeignKey(
        "youtube_pool.YouTubeAccount", on_delete=models.SET_NULL, null=True, blank=True, related_name="videos"
    )
    status = models.CharField(max_length=20, choices=VideoStatus.choices, default=VideoStatus.QUEUED)
    complexity = models.CharField(max_length=20, choices=Complexity.choices, default=Complexity.SIMPLE)
    priority = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1), MaxValueValidator(10)])
    generation_time_seconds = models.PositiveIntegerField(null=True, blank=True)
    quality_score = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    optimization_level = models.CharField(
        max_length=20, choices=OptimizationLevel.choices, default=OptimizationLevel.STANDARD
    )
    estimated_cost = models.DecimalField(
        max_digits=10,
        decimal_places=4,
        default=0,
        help_text=(
            "US dollars. When queued: the level's estimate (p95 of recent videos plus a margin, or the rate "
            "table's bound before there are enough). Once the script is written: revised to what the video has "
            "spent, the exact price of voicing the script and rendering learned per script word."
        ),
    )
    total_cost = models.DecimalField(max_digits=10, decimal_places=4, default=0)
    cost_breakdown = models.JSONField(default=dict, blank=True)
    video_path = models.CharField(max_length=500, blank=True, default="")
    thumbnail_path = models.CharField(max_length=500, blank=True, default="")
    audio_path = models.CharField(max_length=500, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(blank=True, default="")
    queued_at = models.DateTimeField(default=timezone.now)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processing_completed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # YouTube's statistics as last read by the stats sync (videos.services.state.video_stats_record);
    # likes/comments are null when YouTube hides them. ``estimated_revenue`` (USD, YouTube Analytics,
    # lifetime): null when the channel has not authorised revenue reads.
    view_count = models.BigIntegerField(default=0, editable=False)
    like_count = models.BigIntegerField(null=True, blank=True, editable=False)
    comment_count = models.BigIntegerField(null=True, blank=True, editable=False)
    estimated_revenue = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True, editable=False)
    stats_updated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "videos"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["channel", "-created_at"], name="videos_channel_created_idx"),
            models.Index(fields=["status", "-priority", "queued_at"], name="videos_status_priority_idx"),
            models.Index(fields=["-created_at"], name="videos_created_idx"),
            models.Index(fields=["status"], name="videos_status_idx"),
            models.Index(fields=["channel", "status"], name="videos_channel_status_idx"),
            models.Index(fields=["optimization_level", "-created_at"], name="videos_optlevel_created_idx"),
            # Analytics windows: published today / in the last 30 days, per channel or for the platform.
            # The platform's cost statistics read only the included columns (an index-only scan on
            # PostgreSQL; SQLite builds the index without them); they rarely change once published.
            models.Index(
                fields=["published_at"],
                include=["status", "total_cost", "estimated_cost", "optimization_level"],
                name="videos_published_idx",
            ),
            models.Index(fields=["channel", "published_at"], name="videos_channel_published_idx"),
            # Failed videos needing attention: only failed rows are indexed.
            models.Index(fields=["updated_at"], condition=models.Q(status="failed"), name="videos_failed_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def providers(self) -> str:
        """ "sandbox" or "live": which providers the pipeline used ("" before it started)."""
        return ((self.metadata or {}).get("pipeline") or {}).get("providers", "")


class VideoEvent(models.Model):
    """One row of a video's history: a status transition or a notable step, with its reason."""

    id = models.BigAutoField(primary_key=True)
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20, blank=True, default="")
    reason = models.CharField(max_length=500, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "video_events"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["video", "at"], name="video_events_video_at_idx")]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status or '-'}"
