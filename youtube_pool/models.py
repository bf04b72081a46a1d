from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ytempire.core.models import BaseModel


class GoogleProject(BaseModel):
    """A Google Cloud project (OAuth client). YouTube Data API quota belongs to the project:
    three daily buckets (videos.insert calls, search.list calls, units for every other method),
    reset at midnight Pacific. ``*_used`` only move through youtube_pool.services.quota."""

    name = models.CharField(max_length=100, unique=True)
    client_id = models.CharField(max_length=255, unique=True)
    # Fernet token (youtube_pool.crypto); never shown in admin or API.
    client_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    upload_limit = models.PositiveIntegerField(default=100, help_text="videos.insert calls per day")
    search_limit = models.PositiveIntegerField(default=100, help_text="search.list calls per day")
    units_limit = models.PositiveIntegerField(default=10_000, help_text="units per day for every other method")
    uploads_used = models.PositiveIntegerField(default=0, editable=False)
    searches_used = models.PositiveIntegerField(default=0, editable=False)
    units_used = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField(default=True)
    is_sandbox = models.BooleanField(default=False, help_text="Demo data: not a real Google project")
    # The last reset of the buckets; a new project starts "reset now", so the next reset is at the
    # next Pacific midnight and never zeroes usage spent on its first day.
    last_reset_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "google_projects"
        ordering = ["name"]
        indexes = [models.Index(fields=["is_active"], name="google_projects_active_idx")]

    def __str__(self) -> str:
        return self.name

    def bucket_limit(self, bucket: str) -> int:
        return {"uploads": self.upload_limit, "searches": self.search_limit, "units": self.units_limit}[bucket]

    def bucket_used(self, bucket: str) -> int:
        return {"uploads": self.uploads_used, "searches": self.searches_used, "units": self.units_used}[bucket]


class YouTubeAccount(BaseModel):
    """One connected YouTube channel, identified by its YouTube channel id.

    ``owner`` null: one of the platform's pool accounts (12 active + 3 reserve expected), connected by
    staff. Otherwise the customer who connected their own channel: it is theirs alone, never part of
    the pool. ``uploads_today`` counts upload slots booked today against ``daily_upload_cap`` (5
    active, 2 reserve, lowered when YouTube answers uploadLimitExceeded); counters and state move
    only through services."""

    project = models.ForeignKey(GoogleProject, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="youtube_accounts",
        help_text="Empty: the platform's pool. Otherwise the customer whose own channel this is.",
    )
    # Google does not tell us the email of a customer's connection: the channel id identifies an account.
    email = models.EmailField(max_length=255, unique=True, null=True, blank=True)
    channel_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    channel_handle = models.CharField(max_length=255, blank=True, default="")
    is_active = models.BooleanField(default=True)
    is_reserve = models.BooleanField(default=False)
    is_sandbox = models.BooleanField(default=False, help_text="Demo data: not a real YouTube channel")
    health_score = models.DecimalField(max_digits=5, decimal_places=2, default=100)
    # Fernet-encrypted JSON of the OAuth credentials; never shown in admin or API.
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    quota_used_today = models.PositiveIntegerField(default=0, editable=False, help_text="units spent today")
    uploads_today = models.PositiveIntegerField(default=0, editable=False)
    daily_upload_cap = models.PositiveIntegerField(default=5)
    last_reset_at = models.DateTimeField(auto_now_add=True)
    total_uploads = models.PositiveIntegerField(default=0, editable=False)
    total_errors = models.PositiveIntegerField(default=0, editable=False)
    consecutive_errors = models.PositiveIntegerField(default=0, editable=False)
    last_upload_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=500, blank=True, default="", editable=False)
    last_health_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    rested_until = models.DateTimeField(null=True, blank=True)
    deactivated_reason = models.CharField(max_length=255, blank=True, default="")
    needs_reauth = models.BooleanField(default=False)

    class Meta:
        db_table = "youtube_accounts"
        ordering = ["channel_handle", "channel_id"]
        indexes = [
            models.Index(fields=["is_active", "is_reserve"], name="yt_accounts_active_idx"),
            models.Index(fields=["-health_score"], name="yt_accounts_health_idx"),
            models.Index(
                fields=["is_active", "is_reserve", "uploads_today", "-health_score"], name="yt_accounts_pick_idx"
            ),
            models.Index(fields=["needs_reauth"], name="yt_accounts_reauth_idx"),
            models.Index(fields=["token_expires_at"], name="yt_accounts_token_exp_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(health_score__gte=0) & Q(health_score__lte=100), name="yt_accounts_health_range"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def current_state(self, now=None) -> str:
        """ "needs_reconnect" (its token no longer works), "deactivated" (out of service for another
        reason), "resting" (rested_until in the future), else "ok". Reserve is reported separately."""
        if self.needs_reauth:
            return "needs_reconnect"
        if not self.is_active:
            return "deactivated"
        if self.rested_until and self.rested_until > (now or timezone.now()):
            return "resting"
        return "ok"

    @property
    def label(self) -> str:
        """How staff recognise the account: its handle, else its channel id, else its email."""
        return self.channel_handle or self.channel_id or self.email or str(self.pk)
