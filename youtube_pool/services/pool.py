"""Choosing accounts for uploads and keeping their health."""

import datetime as dt
import logging
import random
import time
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from ..conf import method_cost, setting
from ..models import GoogleProject, YouTubeAccount
from .errors import ErrorKind, classify_error, describe_error
from .quota import bucket_for_http_error, next_reset_at, quota_mark_bucket_spent

logger = logging.getLogger(__name__)

REAUTH_REASON = "reauthorisation needed"


def _follow_up_units() -> int:
    """Units an upload needs after videos.insert (the thumbnail)."""
    return method_cost("thumbnails.set")[1]


def upload_candidates(*, reserve: bool, now: dt.datetime | None = None, exclude_project_ids=()):
    """Accounts that may take an upload now, per the pool's rules (no locks)."""
    now = now or timezone.now()
    percent = int(setting("YOUTUBE_UNITS_SOFT_LIMIT_PERCENT"))
    qs = YouTubeAccount.objects.filter(
        Q(rested_until__isnull=True) | Q(rested_until__lte=now),
        is_active=True,
        is_reserve=reserve,
        uploads_today__lt=F("daily_upload_cap"),
        consecutive_errors__lt=setting("YOUTUBE_MAX_CONSECUTIVE_ERRORS_FOR_UPLOAD"),
        project__is_active=True,
        project__uploads_used__lt=F("project__upload_limit"),
        # Units for the follow-up calls while staying under 80% of the project's units.
        project__units_used__lte=F("project__units_limit") * percent / 100 - _follow_up_units(),
    )
    if exclude_project_ids:
        qs = qs.exclude(project_id__in=list(exclude_project_ids))
    return qs.order_by("uploads_today", "-health_score", "id")


def account_acquire_for_upload(*, exclude_project_ids=()) -> YouTubeAccount:
    """Book one upload slot: the chosen account's uploads_today +1 and its project's upload call +1,
    in one transaction. Active accounts first (fewest uploads today, then best health), then reserve
    accounts. Rows are taken with SELECT ... FOR UPDATE SKIP LOCKED and the project's bucket with a
    conditional UPDATE, so concurrent workers never over-book an account or a project. The first
    ``videos.insert`` of ``video_upload`` is paid by this slot; release it with
    ``account_release_upload_slot`` if the upload is abandoned before calling YouTube.

    Raises PoolExhaustedError(next_reset_at=next Pacific midnight) when nothing is left."""
    from ..exceptions import PoolExhaustedError

    excluded = set(exclude_project_ids)
    for _ in range(int(setting("YOUTUBE_ACQUIRE_LOCK_RETRIES"))):
        now = timezone.now()
        with transaction.atomic():
            for reserve in (False, True):
                while True:
                    account = (
                        upload_candidates(reserve=reserve, now=now, exclude_project_ids=excluded)
                        .select_for_update(skip_locked=True, of=("self",))
                        .select_related("project")
                        .first()
                    )
                    if account is None:
                        break
                    booked = GoogleProject.objects.filter(
                        pk=account.project_id, is_active=True, uploads_used__lt=F("upload_limit")
                    ).update(uploads_used=F("uploads_used") + 1, updated_at=now)
                    if not booked:  # another worker took this project's last upload call
                        excluded.add(account.project_id)
                        continue
                    YouTubeAccount.objects.filter(pk=account.pk).update(
                        uploads_today=F("uploads_today") + 1, updated_at=now
                    )
                    account.refresh_from_db()
                    return account
        # Nothing free: if candidates exist they are only locked by other workers for a moment.
        if not any(upload_candidates(reserve=r, exclude_project_ids=excluded).exists() for r in (False, True)):
            break
        time.sleep(0.005 + random.random() * 0.02)
    raise PoolExhaustedError(next_reset_at=next_reset_at())


def account_release_upload_slot(*, account: YouTubeAccount) -> None:
    """Give back a slot booked by account_acquire_for_upload when no upload was attempted."""
    with transaction.atomic():
        YouTubeAccount.objects.filter(pk=account.pk).update(uploads_today=Greatest(F("uploads_today") - 1, 0))
        GoogleProject.objects.filter(pk=account.project_id).update(uploads_used=Greatest(F("uploads_used") - 1, 0))


def account_record_result(*, account: YouTubeAccount, success: bool, error: Exception | None = None) -> None:
    """Health bookkeeping after a YouTube call, under the account's row lock.

    Success: health +1 (max 100), consecutive errors cleared. Failure: health -10 (min 0),
    consecutive and total errors +1, last_error_at; 5 consecutive errors deactivate. The error is
    classified from Google's body: quotaExceeded marks the project's bucket spent (the project's
    fault, so the account's health is kept); uploadLimitExceeded rests the account 24 hours and
    lowers its learned cap; invalid_grant/401 deactivate with "reauthorisation needed" and alert."""
    now = timezone.now()
    kind = classify_error(error) if not success else None
    with transaction.atomic():
        locked = YouTubeAccount.objects.select_for_update().get(pk=account.pk)
        fields = ["updated_at"]
        if success:
            locked.health_score = min(Decimal(100), locked.health_score + 1)
            locked.consecutive_errors = 0
            fields += ["health_score", "consecutive_errors"]
        elif kind == ErrorKind.QUOTA:
            from googleapiclient.errors import HttpError

            bucket = getattr(error, "bucket", None)
            cause = error if isinstance(error, HttpError) else getattr(error, "__cause__", None)
            if bucket is None:
                bucket = bucket_for_http_error(cause) if isinstance(cause, HttpError) else "units"
            if locked.project_id:
                quota_mark_bucket_spent(project_id=locked.project_id, bucket=bucket)
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
                locked.rested_until = now + dt.timedelta(hours=setting("YOUTUBE_REST_HOURS"))
                # The channel accepted uploads_today - 1 uploads: that is its real cap for now.
                locked.daily_upload_cap = max(1, min(locked.daily_upload_cap, locked.uploads_today - 1))
                fields += ["rested_until", "daily_upload_cap"]
                logger.warning("YouTube account resting after uploadLimitExceeded", extra={"account": locked.email})
            elif kind == ErrorKind.REAUTH:
                locked.is_active = False
                locked.needs_reauth = True
                locked.deactivated_reason = REAUTH_REASON
                fields += ["is_active", "needs_reauth", "deactivated_reason"]
                logger.error(
                    "YouTube account needs reauthorisation: deactivated",
                    extra={"account": locked.email, "error": locked.last_error},
                )
            if locked.is_active and locked.consecutive_errors >= setting("YOUTUBE_DEACTIVATE_AFTER_ERRORS"):
                locked.is_active = False
                locked.deactivated_reason = f"{locked.consecutive_errors} consecutive errors"
                fields += ["is_active", "deactivated_reason"]
                logger.error("YouTube account deactivated after consecutive errors", extra={"account": locked.email})
        locked.save(update_fields=list(dict.fromkeys(fields)))
    for name in fields:
        setattr(account, name, getattr(locked, name))


def account_record_upload(*, account: YouTubeAccount) -> None:
    now = timezone.now()
    YouTubeAccount.objects.filter(pk=account.pk).update(
        total_uploads=F("total_uploads") + 1, last_upload_at=now, updated_at=now
    )


def account_deactivate(*, account: YouTubeAccount, reason: str) -> YouTubeAccount:
    reason = (reason or "").strip() or "deactivated by staff"
    YouTubeAccount.objects.filter(pk=account.pk).update(
        is_active=False, deactivated_reason=reason[:255], updated_at=timezone.now()
    )
    account.refresh_from_db()
    return account


def account_reactivate(*, account: YouTubeAccount) -> YouTubeAccount:
    """Back into rotation with a clean error streak. An account needing reauthorisation stays out
    until it is reconnected (OAuth), since its token cannot work."""
    from ..exceptions import ReauthorizationRequiredError

    if account.needs_reauth:
        raise ReauthorizationRequiredError(f"{account.email} needs reauthorisation: reconnect it instead")
    YouTubeAccount.objects.filter(pk=account.pk).update(
        is_active=True,
        deactivated_reason="",
        consecutive_errors=0,
        rested_until=None,
        health_score=Greatest(F("health_score"), Decimal(50)),
        updated_at=timezone.now(),
    )
    account.refresh_from_db()
    return account


def pool_capacity(*, now: dt.datetime | None = None) -> dict:
    """Per project the buckets used and left; per account uploads, cap, health and state; the
    uploads still possible today (per project the minimum of its usable accounts' slots left and
    its upload calls left, summed) and the next reset. Two queries."""
    now = now or timezone.now()
    percent = int(setting("YOUTUBE_UNITS_SOFT_LIMIT_PERCENT"))
    follow_up = _follow_up_units()
    projects = list(GoogleProject.objects.order_by("name"))
    accounts = list(YouTubeAccount.objects.select_related("project").order_by("is_reserve", "email"))
    slots_by_project: dict = {p.pk: 0 for p in projects}
    account_rows = []
    for account in accounts:
        state = account_state(account, now=now)
        slots_left = max(0, account.daily_upload_cap - account.uploads_today)
        usable = state in ("active", "reserve") and account.consecutive_errors < setting(
            "YOUTUBE_MAX_CONSECUTIVE_ERRORS_FOR_UPLOAD"
        )
        if usable and account.project_id in slots_by_project and account.project.is_active:
            slots_by_project[account.project_id] += slots_left
        account_rows.append(
            {
                "id": str(account.pk),
                "email": account.email,
                "channel_handle": account.channel_handle,
                "project": account.project.name if account.project else None,
                "is_reserve": account.is_reserve,
                "state": state,
                "uploads_today": account.uploads_today,
                "daily_upload_cap": account.daily_upload_cap,
                "uploads_left": slots_left if usable else 0,
                "quota_used_today": account.quota_used_today,
                "health_score": str(account.health_score),
                "consecutive_errors": account.consecutive_errors,
                "rested_until": account.rested_until.isoformat() if account.rested_until else None,
                "deactivated_reason": account.deactivated_reason,
                "needs_reauth": account.needs_reauth,
            }
        )
    project_rows = []
    total = 0
    for project in projects:
        uploads_left = max(0, project.upload_limit - project.uploads_used)
        units_ok = (project.units_used + follow_up) * 100 <= project.units_limit * percent
        possible = min(uploads_left, slots_by_project[project.pk]) if project.is_active and units_ok else 0
        total += possible
        project_rows.append(
            {
                "id": str(project.pk),
                "name": project.name,
                "is_active": project.is_active,
                "is_sandbox": project.is_sandbox,
                "buckets": {
                    bucket: {
                        "used": project.bucket_used(bucket),
                        "limit": project.bucket_limit(bucket),
                        "left": max(0, project.bucket_limit(bucket) - project.bucket_used(bucket)),
                    }
                    for bucket in ("uploads", "searches", "units")
                },
                "uploads_possible": possible,
                "last_reset_at": project.last_reset_at.isoformat() if project.last_reset_at else None,
            }
        )
    return {
        "uploads_possible_today": total,
        "next_reset_at": next_reset_at(now).isoformat(),
        "projects": project_rows,
        "accounts": account_rows,
    }


def account_state(account: YouTubeAccount, *, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    if account.needs_reauth:
        return "needs_reauth"
    if not account.is_active:
        return "inactive"
    if account.rested_until and account.rested_until > now:
        return "resting"
    return "reserve" if account.is_reserve else "active"
