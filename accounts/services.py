"""Accounts: registration, tiers, login with lockout, refresh rotation with theft detection, revocation."""

import hashlib
import logging
import time

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.models import update_last_login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from ytempire.core.exceptions import AuthenticationError, RateLimitedError

from .identity import user_identity_forget
from .models import RefreshTokenFamily, Role, Tier, User, tier_limits
from .signals import tier_changed
from .tokens import FAMILY_CLAIM, VERSION_CLAIM, tokens_for

logger = logging.getLogger(__name__)

INVALID_LOGIN = "Incorrect email or password"
INVALID_REFRESH = "Invalid or expired refresh token"


def normalize_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def _validate_password(password: str, *, user: User, field: str) -> None:
    """AUTH_PASSWORD_VALIDATORS, with their messages reported under ``field`` (the one the user can fix)."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


# --- Registration, profile and tier ------------------------------------------------------


def _limits_of(tier) -> dict:
    """The tier's limits from settings.TIERS; an unknown tier is a ValidationError on ``tier``."""
    if not isinstance(tier, str) or tier not in Tier.values or tier not in settings.TIERS:
        known = ", ".join(name for name in settings.TIERS if name in Tier.values)
        raise ValidationError({"tier": [f"Unknown tier '{tier}'. Choose one of: {known}."]})
    return tier_limits(tier)


def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str = "",
    tier: str = Tier.FREE,
    role: str = Role.USER,
    is_staff: bool = False,
) -> User:
    """Create a user on ``tier`` with that tier's channel and daily video limits (settings.TIERS).

    ``password=None`` creates the user with an unusable password. The caller validates the password
    and the email's uniqueness; a duplicate email raises IntegrityError from the unique index.
    """
    limits = _limits_of(tier)
    return User.objects.create_user(
        email=normalize_email(email),
        password=password,
        full_name=full_name,
        tier=str(tier),
        role=role,
        is_staff=is_staff,
        channel_limit=limits["channel_limit"],
        daily_video_limit=limits["daily_video_limit"],
    )


def user_register(*, email: str, password: str, full_name: str = "") -> tuple[User, dict]:
    """Create a free-tier user and log them in. Duplicate emails are a validation error on ``email``."""
    email = normalize_email(email)
    candidate = User(email=email, full_name=full_name)
    _validate_password(password, user=candidate, field="password")
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise IntegrityError
            user = user_create(email=email, password=password, full_name=full_name, tier=Tier.FREE)
            tokens = tokens_for(user)
    except IntegrityError:
        raise ValidationError({"email": ["A user with this email already exists."]}) from None
    logger.info("user registered", extra={"new_user_id": str(user.id)})
    return user, tokens


def user_update_profile(*, user: User, full_name: str | None = None) -> User:
    if full_name is not None:
        user.full_name = full_name
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name", "updated_at"])
    return user


TIER_FIELDS = ("tier", "channel_limit", "daily_video_limit")


def user_set_tier(*, user: User, tier: str, actor: str = "") -> User:
    """The one door for tier changes (Stripe billing, the admin, the ``set_tier`` command).

    Under the user's row lock, sets ``tier`` and the tier's ``channel_limit`` and
    ``daily_video_limit`` (settings.TIERS), saving only those fields, and sends
    ``accounts.signals.tier_changed`` inside the same transaction, so its receivers (channels
    pauses automation on the channels over the new limit) commit or roll back with the change.
    Idempotent: when the user is already on ``tier`` nothing is written and no signal is sent.
    An unknown tier is a ValidationError on ``tier``. ``user`` is updated in place and returned.
    """
    limits = _limits_of(tier)
    tier = str(tier)
    with transaction.atomic():
        locked = User.objects.select_for_update().only("id", *TIER_FIELDS).get(pk=user.pk)
        old_tier = locked.tier
        if old_tier == tier:
            for field in TIER_FIELDS:
                setattr(user, field, getattr(locked, field))
            return user
        locked.tier = tier
        locked.channel_limit = limits["channel_limit"]
        locked.daily_video_limit = limits["daily_video_limit"]
        locked.save(update_fields=[*TIER_FIELDS, "updated_at"])
        for field in (*TIER_FIELDS, "updated_at"):
            setattr(user, field, getattr(locked, field))
        tier_changed.send(sender=User, user=user, old_tier=old_tier, new_tier=tier)
    logger.info(
        "tier changed",
        extra={"user_id": str(user.pk), "from_tier": old_tier, "to_tier": tier, "actor": actor or "unknown"},
    )
    return user


def user_set_billing_ids(*, user: User, customer_id: str | None = None, subscription_id: str | None = None) -> User:
    """Record the user's Stripe customer and/or current subscription id (callers hold the row lock)."""
    fields = []
    if customer_id is not None and user.stripe_customer_id != customer_id:
        user.stripe_customer_id = customer_id or None
        fields.append("stripe_customer_id")
    if subscription_id is not None and user.stripe_subscription_id != subscription_id:
        user.stripe_subscription_id = subscription_id
        fields.append("stripe_subscription_id")
    if fields:
        user.save(update_fields=[*fields, "updated_at"])
    return user


# --- Login lockout (keyed on the email, never the address) ---------------------------


def _lock_keys(email: str) -> tuple[str, str]:
    digest = hashlib.sha256(email.encode()).hexdigest()
    return f"login:fail:{digest}", f"login:lock:{digest}"


def login_lockout_remaining(email: str) -> int:
    """Seconds this email stays locked (0 when it is not)."""
    _, lock_key = _lock_keys(email)
    until = cache.get(lock_key)
    if until is None:
        return 0
    return max(0, int(until - time.time()) + 1)


def _login_failed(email: str) -> None:
    fail_key, lock_key = _lock_keys(email)
    window = settings.LOGIN_LOCKOUT_WINDOW_SECONDS
    cache.add(fail_key, 0, timeout=window)
    try:
        failures = cache.incr(fail_key)
    except ValueError:  # the key expired between add and incr
        cache.add(fail_key, 1, timeout=window)
        failures = 1
    if failures >= settings.LOGIN_LOCKOUT_ATTEMPTS:
        cache.set(lock_key, time.time() + window, timeout=window)
        cache.delete(fail_key)
        logger.warning("login locked for an email after repeated failures")


def _login_succeeded(email: str) -> None:
    cache.delete_many(list(_lock_keys(email)))


def auth_login(*, email: str, password: str, request=None) -> tuple[User, dict]:
    """Authenticate and issue tokens in a new family.

    After ``LOGIN_LOCKOUT_ATTEMPTS`` failures for one email within the window, that email is
    refused (429) for the window whatever the password. Unknown emails cost a password hash too
    (Django's ModelBackend does that), so timing and message do not reveal which emails exist.
    """
    email = normalize_email(email)
    remaining = login_lockout_remaining(email)
    if remaining:
        raise RateLimitedError("Too many failed login attempts. Try again later.", retry_after=remaining)
    user = authenticate(request, username=email, password=password)
    if user is None:
        _login_failed(email)
        raise AuthenticationError(INVALID_LOGIN, code="invalid_login")
    _login_succeeded(email)
    update_last_login(None, user)
    return user, tokens_for(user)


# --- Refresh rotation and revocation ---------------------------------------------------


def _decode_refresh(raw: str) -> dict:
    try:
        payload = token_backend.decode(raw, verify=True)
    except TokenBackendExpiredToken:
        raise AuthenticationError(INVALID_REFRESH, code="token_expired") from None
    except TokenBackendError:
        raise AuthenticationError(INVALID_REFRESH, code="token_invalid") from None
    if payload.get(jwt_settings.TOKEN_TYPE_CLAIM) != "refresh" or not payload.get(FAMILY_CLAIM):
        raise AuthenticationError(INVALID_REFRESH, code="token_invalid")
    return payload


def _family_revoke(family: RefreshTokenFamily, reason: str) -> None:
    if family.revoked_at is None:
        family.revoked_at = timezone.now()
        family.revoked_reason = reason
        family.save(update_fields=["revoked_at", "revoked_reason"])


def token_refresh(*, raw_refresh: str) -> dict:
    """Rotate a refresh token: the presented one is blacklisted and a new pair is issued.

    The outstanding-token row is locked (``SELECT ... FOR UPDATE``), so of two concurrent
    refreshes with one token exactly one succeeds. Presenting a token that was already
    rotated is treated as theft: 401 and the whole family (that login's tokens) is revoked.
    """
    payload = _decode_refresh(raw_refresh)
    reused = False
    with transaction.atomic():
        outstanding = (
            OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=payload[jwt_settings.JTI_CLAIM]).first()
        )
        if outstanding is None or outstanding.user_id is None:
            raise AuthenticationError(INVALID_REFRESH, code="token_invalid")
        family = (
            RefreshTokenFamily.objects.select_for_update()
            .filter(id=payload[FAMILY_CLAIM], user_id=outstanding.user_id)
            .first()
        )
        if family is None or family.revoked_at is not None:
            raise AuthenticationError(INVALID_REFRESH, code="token_revoked")
        if BlacklistedToken.objects.filter(token=outstanding).exists():
            _family_revoke(family, "refresh token reuse")
            reused = True
        else:
            user = User.objects.get(pk=outstanding.user_id)
            if not user.is_active:
                raise AuthenticationError(INVALID_REFRESH, code="user_inactive")
            if payload.get(VERSION_CLAIM) != user.token_version:
                raise AuthenticationError(INVALID_REFRESH, code="token_revoked")
            BlacklistedToken.objects.create(token=outstanding)
            tokens = tokens_for(user, family=family)
    if reused:
        logger.warning("refresh token reuse detected; family revoked", extra={"family_id": str(family.id)})
        raise AuthenticationError("Refresh token reuse detected; please log in again", code="token_reused")
    return tokens


def _blacklist_outstanding(*, user_id, extra_filter: dict | None = None) -> int:
    pending = OutstandingToken.objects.filter(user_id=user_id, blacklistedtoken__isnull=True, **(extra_filter or {}))
    rows = [BlacklistedToken(token=token) for token in pending]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def auth_logout(*, user: User, raw_refresh: str) -> None:
    """Blacklist the refresh token and revoke its family. Someone else's token is a 401."""
    payload = _decode_refresh(raw_refresh)
    with transaction.atomic():
        outstanding = OutstandingToken.objects.filter(jti=payload[jwt_settings.JTI_CLAIM], user_id=user.pk).first()
        if outstanding is None:
            raise AuthenticationError(INVALID_REFRESH, code="token_invalid")
        BlacklistedToken.objects.get_or_create(token=outstanding)
        family = RefreshTokenFamily.objects.filter(id=payload[FAMILY_CLAIM], user_id=user.pk).first()
        if family is not None:
            _family_revoke(family, "logout")


def user_revoke_all_tokens(*, user: User, reason: str) -> None:
    """Bump the token version (every access token fails at once) and revoke every refresh token."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1, updated_at=timezone.now())
        user_identity_forget(user.pk)
        RefreshTokenFamily.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=reason
        )
        _blacklist_outstanding(user_id=user.pk)
    user.refresh_from_db(fields=["token_version"])


def user_change_password(*, user: User, current_password: str, new_password: str) -> dict:
    """Change the password, revoke every existing token and return a fresh pair for this client."""
    if not user.check_password(current_password):
        raise ValidationError({"current_password": ["Current password is incorrect."]})
    _validate_password(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        user_revoke_all_tokens(user=user, reason="password change")
        return tokens_for(user)


def user_set_password(*, user: User, password: str | None, reason: str = "password set by staff") -> User:
    """Set the password (``None`` makes it unusable) and revoke every token the user holds.

    Saves only the password (a concurrent tier or limit change is not overwritten). The caller
    validates the password (the admin's password form does).
    """
    with transaction.atomic():
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password", "updated_at"])
        user_revoke_all_tokens(user=user, reason=reason)
    return user


def user_deactivate(*, user: User, reason: str = "deactivated by staff") -> User:
    """Deactivate the user and revoke every token they hold (access tokens fail at once)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False, updated_at=timezone.now())
        user_identity_forget(user.pk)
        user_revoke_all_tokens(user=user, reason=reason)
    user.refresh_from_db()
    return user


def user_reactivate(*, user: User) -> User:
    """Let a deactivated user log in again. Tokens revoked at deactivation stay revoked."""
    User.objects.filter(pk=user.pk).update(is_active=True, updated_at=timezone.now())
    user_identity_forget(user.pk)
    user.refresh_from_db()
    return user
