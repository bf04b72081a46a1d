from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from ytempire.core.models import BaseModel


class Role(models.TextChoices):
    USER = "user", "User"
    ADMIN = "admin", "Admin"


class Tier(models.TextChoices):
    FREE = "free", "Free"
    STARTER = "starter", "Starter"
    GROWTH = "growth", "Growth"
    SCALE = "scale", "Scale"


def tier_limits(tier: str) -> dict:
    return settings.TIERS[tier]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required")
        email = self.normalize_email(email).lower()
        tier = extra.setdefault("tier", Tier.FREE)
        limits = tier_limits(tier)
        extra.setdefault("channel_limit", limits["channel_limit"])
        extra.setdefault("daily_video_limit", limits["daily_video_limit"])
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(BaseModel, AbstractBaseUser, PermissionsMixin):
    """A customer or staff member. Email is the login; limits follow the tier."""

    email = models.EmailField(max_length=255, unique=True)
    full_name = models.CharField(max_length=255, blank=True, default="")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.USER)
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.FREE)
    is_active = models.BooleanField(default=True)
    is_verified = models.BooleanField(default=False)
    is_staff = models.BooleanField(default=False, help_text="Can log into the admin site.")
    channel_limit = models.PositiveIntegerField(default=5)
    daily_video_limit = models.PositiveIntegerField(default=10)
    stripe_customer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, default="")
    # Bumped on password change and deactivation: tokens carrying an older version are refused.
    token_version = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        db_table = "users"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tier"], name="users_tier_idx"),
            models.Index(fields=["-created_at"], name="users_created_idx"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_platform_admin(self) -> bool:
        """Role admin sees every user's data in the API."""
        return self.role == Role.ADMIN


class RefreshTokenFamily(models.Model):
    """All refresh tokens descended from one login. Reusing a rotated token revokes the family."""

    id = models.UUIDField(primary_key=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="token_families")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        db_table = "refresh_token_families"
        verbose_name_plural = "refresh token families"
        indexes = [models.Index(fields=["user", "revoked_at"], name="token_family_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.id}"
