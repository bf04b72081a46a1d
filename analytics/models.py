"""What analytics stores: YouTube statistics snapshots, revenue days, sync bookkeeping, daily rollups.

Three clocks meet here; each field says which one it follows:
- UTC days: the snapshots' ``date`` (the day the reading was taken) and, in ``DailyChannelRollup``,
  the videos created/published that day and the views/subscribers.
- Budget days (settings.COST_BUDGET_TIMEZONE, UTC unless configured): ``DailyChannelRollup.spend``
  is the ledger of the budget day with that date, as the daily budget counts it.
- YouTube's days (America/Los_Angeles): ``ChannelRevenueDay.date`` and ``DailyChannelRollup.revenue``;
  YouTube Analytics reports revenue per Pacific day and it cannot be re-cut.

Every row here is written by ``analytics.sync`` (YouTube's figures) or ``analytics.rollups`` (the
rollups, rebuilt from the rows the other apps own); nothing else writes them.
"""

from django.db import models

from videos.models import VideoStatus

# The rollup column holding the videos created that day that are now in each status.
CREATED_FIELDS: dict[str, str] = {status: f"created_{status}" for status in VideoStatus.values}


class ChannelStatsSnapshot(models.Model):
    """A channel's YouTube statistics as last read on ``date`` (UTC day): one row per channel and
    day, upserted by every sync of that day (the last reading of the day wins)."""

    id = models.BigAutoField(primary_key=True)
    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="stats_snapshots")
    date = models.DateField(help_text="UTC day of the reading")
    view_count = models.BigIntegerField()
    subscriber_count = models.BigIntegerField(null=True, blank=True, help_text="Null when the channel hides it")
    video_count = models.BigIntegerField(default=0)
    taken_at = models.DateTimeField()

    class Meta:
        db_table = "analytics_channel_snapshots"
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["channel", "date"], name="analytics_channel_snapshot_day")]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.date}: {self.view_count} views"


class VideoStatsSnapshot(models.Model):
    """A video's YouTube statistics as last read on ``date`` (UTC day), one row per video and day."""

    id = models.BigAutoField(primary_key=True)
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="stats_snapshots")
    date = models.DateField(help_text="UTC day of the reading")
    view_count = models.BigIntegerField()
    like_count = models.BigIntegerField(null=True, blank=True)
    comment_count = models.BigIntegerField(null=True, blank=True)
    taken_at = models.DateTimeField()

    class Meta:
        db_table = "analytics_video_snapshots"
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["video", "date"], name="analytics_video_snapshot_day")]

    def __str__(self) -> str:
        return f"{self.video_id} {self.date}: {self.view_count} views"


class ChannelRevenueDay(models.Model):
    """YouTube Analytics' estimated revenue (USD) and views of a channel for one of YouTube's days
    (America/Los_Angeles). Only channels that granted yt-analytics-monetary.readonly have rows."""

    id = models.BigAutoField(primary_key=True)
    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="revenue_days")
    date = models.DateField(help_text="YouTube's day (America/Los_Angeles)")
    revenue = models.DecimalField(max_digits=12, decimal_places=4)
    views = models.BigIntegerField(default=0)
    fetched_at = models.DateTimeField()

    class Meta:
        db_table = "analytics_channel_revenue_days"
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["channel", "date"], name="analytics_revenue_day")]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.date}: ${self.revenue}"


class SyncOutcome(models.TextChoices):
    SYNCED = "synced", "Synced"
    PARTIAL = "partial", "Partly synced (quota ran out; the rest next hour)"
    SKIPPED = "skipped", "Skipped (retried next hour)"
    FAILED = "failed", "Failed (retried next hour)"


class ChannelStatsSync(models.Model):
    """The stats sync's bookkeeping for one channel: when it last read it (the least recently read
    go first), when it last read revenue, what happened, and a short lease so two runs never read
    the same channel at once."""

    channel = models.OneToOneField(
        "channels.Channel", on_delete=models.CASCADE, primary_key=True, related_name="stats_sync"
    )
    synced_at = models.DateTimeField(null=True, blank=True, help_text="Last complete read of the statistics")
    revenue_synced_at = models.DateTimeField(null=True, blank=True)
    attempted_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=SyncOutcome.choices, blank=True, default="")
    detail = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        db_table = "analytics_channel_sync"
        indexes = [models.Index(fields=["synced_at"], name="analytics_sync_synced_idx")]

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.outcome or 'never'}"


class DailyChannelRollup(models.Model):
    """One channel's day, as the dashboard and the analytics API read past days (today is computed
    live). Rebuilt from the rows other apps own by ``analytics.rollups.rollups_refresh``: kept
    current every 10 minutes for today and yesterday, nightly for the last 30 days, and on demand
    by ``manage.py rebuild_rollups`` / ``backfill_stats_snapshots``."""

    id = models.BigAutoField(primary_key=True)
    channel = models.ForeignKey("channels.Channel", on_delete=models.CASCADE, related_name="daily_rollups")
    date = models.DateField()
    # Videos created on this UTC day, by their status when the rollup was computed.
    created_queued = models.PositiveIntegerField(default=0)
    created_processing = models.PositiveIntegerField(default=0)
    created_ready = models.PositiveIntegerField(default=0)
    created_uploading = models.PositiveIntegerField(default=0)
    created_published = models.PositiveIntegerField(default=0)
    created_failed = models.PositiveIntegerField(default=0)
    created_cancelled = models.PositiveIntegerField(default=0)
    published = models.PositiveIntegerField(default=0, help_text="Videos published on this UTC day")
    spend = models.DecimalField(
        max_digits=12, decimal_places=4, default=0, help_text="Ledger of the budget day with this date (USD)"
    )
    views = models.BigIntegerField(
        null=True, blank=True, help_text="Views gained this UTC day (snapshot minus the previous one); null: unknown"
    )
    subscribers = models.BigIntegerField(null=True, blank=True, help_text="Subscribers at the day's last reading")
    revenue = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="YouTube Analytics revenue of YouTube's (Pacific) day with this date; null: not authorised "
        "or not reported yet",
    )
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "analytics_daily_channel_rollups"
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["channel", "date"], name="analytics_rollup_channel_day")]
        indexes = [models.Index(fields=["date"], name="analytics_rollup_date_idx")]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.date}"


class DailyPlatformRollup(models.Model):
    """The platform's day: the sum of that day's ``DailyChannelRollup`` rows, kept by the same
    refresh, so the platform's series read one row per day whatever the number of channels."""

    date = models.DateField(primary_key=True)
    created_queued = models.PositiveIntegerField(default=0)
    created_processing = models.PositiveIntegerField(default=0)
    created_ready = models.PositiveIntegerField(default=0)
    created_uploading = models.PositiveIntegerField(default=0)
    created_published = models.PositiveIntegerField(default=0)
    created_failed = models.PositiveIntegerField(default=0)
    created_cancelled = models.PositiveIntegerField(default=0)
    published = models.PositiveIntegerField(default=0)
    spend = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    views = models.BigIntegerField(null=True, blank=True, help_text="Sum of the known views gained; null: none known")
    revenue = models.DecimalField(
        max_digits=14, decimal_places=4, null=True, blank=True, help_text="Sum of the known revenue; null: none"
    )
    channels = models.PositiveIntegerField(default=0, help_text="Channels with a rollup that day")
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "analytics_daily_platform_rollups"
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"platform {self.date}"
