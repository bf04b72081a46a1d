"""An account's health after each YouTube call, and picking a free platform account to bind.

There is no pool-wide upload rotation: an upload is booked on the one account its caller names
(``booking.account_book_upload``); nothing here picks "any account" for an upload."""

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from googleapiclient.errors import HttpError

from ..models import YouTubeAccount
from .errors import ErrorKind, classify_error, describe_error
from .quota import bucket_for_http_error, quota_mark_bucket_spent
from .state import account_state_announce

logger = logging.getLogger(__name__)

REAUTH_REASON = "reauthorisation needed"
# Event reasons (shown to the channel's owner).
REASON_REAUTH = "YouTube no longer accepts the stored authorisation: reconnect the YouTube channel"
REASON_UPLOAD_LIMIT = "YouTube's daily upload limit for this channel was reached; uploads resume after a rest"
REASON_ERRORS = "deactivated after repeated YouTube errors"


def _spent_bucket(error) -> str:
    """The bucket a quotaExceeded error spent: the error's own, else the called URL's, else units."""
    bucket = getattr(error, "bucket", None)
    if bucket:
        return bucket
    cause = error if isinstance(error, HttpError) else getattr(error, "__cause__", None)
    return bucket_for_http_error(cause) if isinstance(cause, HttpError) else "units"


def account_record_result(*, account: YouTubeAccount, success: bool, error: Exception | None = None) -> None:
    """Health bookkeeping after a YouTube call, under the account's row lock.

    Success: health +1 (max 100), consecutive errors cleared. Failure: health -10 (min 0),
    consecutive and total errors +1, last_error_at; 5 consecutive errors deactivate. The error is
    classified from Google's body: quotaExceeded marks the project's bucket spent (the project's
    fault, so the account's health is kept); uploadLimitExceeded rests the account 24 hours and
    lowers its learned cap; invalid_grant/401 deactivate with "reauthorisation needed" (state
    needs_reconnect) and alert. A change of state is announced (``account_state_changed``) in the
    same transaction; there is no failover here (the apps above decide what a channel does)."""
    now = timezone.now()
    kind = classify_error(error) if not success else None
    with transaction.atomic():
        if kind == ErrorKind.QUOTA and account.project_id:
            # The project's row before the account's, the order account_book_upload locks them in.
            quota_mark_bucket_spent(project_id=account.project_id, bucket=_spent_bucket(error))
        locked = YouTubeAccount.objects.select_for_update().get(pk=account.pk)
        state_before = locked.current_state(now)
        announce = ""
        fields = ["updated_at"]
        if success:
            locked.health_score = min(Decimal(100), locked.health_score + 1)
            locked.consecutive_errors = 0
            fields += ["health_score", "consecutive_errors"]
        elif kind == ErrorKind.QUOTA:
            locked.last_error = describe_error(error)
            fields += ["last_error"]
        else:
            locked.health_score = max(Decimal(0), locked.health_score - 10)
            locked.consecutive_errors += 1
            locked.total_errors += 1
            locked.last_error_at = now
            locked.last_error = describe_error(error)
            fields += ["health_score", "consecutive_errors", "total_errors", "last_error_at", "last_error"]
            if kind == ErrorKind.UPLOAD_LIMIT:
                locked.rested_until = now + dt.timedelta(hours=settings.YOUTUBE_REST_HOURS)
                # The channel accepted uploads_today - 1 uploads: that is its real cap for now.
                locked.daily_upload_cap = max(1, min(locked.daily_upload_cap, locked.uploads_today - 1))
                fields += ["rested_until", "daily_upload_cap"]
                announce = REASON_UPLOAD_LIMIT
                logger.warning("YouTube account resting after uploadLimitExceeded", extra={"account": locked.label})
            elif kind == ErrorKind.REAUTH:
                locked.is_active = False
                locked.needs_reauth = True
                locked.deactivated_reason = REAUTH_REASON
                fields += ["is_active", "needs_reauth", "deactivated_reason"]
                announce = REASON_REAUTH
                logger.error(
                    "YouTube account needs reauthorisation: deactivated",
                    extra={"account": locked.label, "error": locked.last_error},
                )
            if locked.is_active and locked.consecutive_errors >= settings.YOUTUBE_DEACTIVATE_AFTER_ERRORS:
                locked.is_active = False
                locked.deactivated_reason = f"{locked.consecutive_errors} consecutive errors"
                fields += ["is_active", "deactivated_reason"]
                announce = REASON_ERRORS
                logger.error("YouTube account deactivated after consecutive errors", extra={"account": locked.label})
        locked.save(update_fields=list(dict.fromkeys(fields)))
        if announce and locked.current_state(now) != state_before:
            account_state_announce(account=locked, reason=announce)
    for name in fields:
        setattr(account, name, getattr(locked, name))


def account_record_upload(*, account: YouTubeAccount) -> None:
    now = timezone.now()
    YouTubeAccount.objects.filter(pk=account.pk).update(
        total_uploads=F("total_uploads") + 1, last_upload_at=now, updated_at=now
    )


def pool_account_pick(*, reserve: bool, exclude_account_ids=()) -> YouTubeAccount | None:
    """The platform account to bind a channel to: owner null (never a customer's own channel),
    ``is_reserve == reserve``, state "ok" (active, not needing reconnection, not resting), with
    a live project, fewer than YOUTUBE_MAX_CONSECUTIVE_ERRORS_FOR_UPLOAD consecutive errors, and not
    in ``exclude_account_ids`` (the accounts already bound). Preference: the project with the most
    upload headroom (upload_limit - uploads_used), then the fewest uploads today, then the best
    health. None when there is no such account.

    No lock is taken: two concurrent picks may return the same account; the binding's unique
    constraint refuses the second, which picks again."""
    now = timezone.now()
    return (
        YouTubeAccount.objects.filter(
            Q(rested_until__isnull=True) | Q(rested_until__lte=now),
            owner__isnull=True,
            is_reserve=reserve,
            is_active=True,
            needs_reauth=False,
            consecutive_errors__lt=settings.YOUTUBE_MAX_CONSECUTIVE_ERRORS_FOR_UPLOAD,
            project__isnull=False,
            project__is_active=True,
        )
        .exclude(pk__in=[pk for pk in exclude_account_ids if pk is not None])
        .select_related("project")
        .annotate(headroom=F("project__upload_limit") - F("project__uploads_used"))
        .order_by("-headroom", "uploads_today", "-health_score", "id")
        .first()
    )
