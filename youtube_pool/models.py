from django.db import models

from ytempire.core.models import BaseModel


class GoogleProject(BaseModel):
    """A Google Cloud project (OAuth client). YouTube Data API quota belongs to the project."""

    name = models.CharField(max_length=100, unique=True)
    client_id = models.CharField(max_length=255, unique=True)
    client_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    upload_limit = models.PositiveIntegerField(default=100, help_text="videos.insert calls per day")
    search_limit = models.PositiveIntegerField(default=100, help_text="search.list calls per day")
    units_limit = models.PositiveIntegerField(default=10_000, help_text="units per day for every other method")
    uploads_used = models.PositiveIntegerField(default=0)
    searches_used = models.PositiveIntegerField(default=0)
    units_used = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    last_reset_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "google_projects"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class YouTubeAccount(BaseModel):
    """One of the pool's YouTube accounts (channels) used for uploads: 12 active + 3 reserve expected."""

    project = models.ForeignKey(GoogleProject, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts")
    email = models.EmailField(max_length=255, unique=True)
    channel_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    channel_handle = models.CharField(max_length=255, blank=True, default="")
    is_active = models.BooleanField(default=True)
    is_reserve = models.BooleanField(default=False)
    health_score = models.DecimalField(max_digits=5, decimal_places=2, default=100)
    # Fernet-encrypted JSON of the OAuth credentials; never shown in admin or API.
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    quota_used_today = models.PositiveIntegerField(default=0)
    uploads_today = models.PositiveIntegerField(default=0)
    daily_upload_cap = models.PositiveIntegerField(default=5)
    last_reset_at = models.DateTimeField(auto_now_add=True)
    total_uploads = models.PositiveIntegerField(default=0)
    total_errors = models.PositiveIntegerField(default=0)
    consecutive_errors = models.PositiveIntegerField(default=0)
    last_upload_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    rested_until = models.DateTimeField(null=True, blank=True)
    deactivated_reason = models.CharField(max_length=255, blank=True, default="")
    needs_reauth = models.BooleanField(default=False)

    class Meta:
        db_table = "youtube_accounts"
        ordering = ["email"]
        indexes = [
            models.Index(fields=["is_active", "is_reserve"], name="yt_accounts_active_idx"),
            models.Index(fields=["-health_score"], name="yt_accounts_health_idx"),
        ]

    def __str__(self) -> str:
        return self.email
