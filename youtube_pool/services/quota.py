"""Per-project quota metering. Every YouTube API call goes through ``metered_call`` (or
``youtube_execute`` built on it, in ``api.py``): the call's cost is reserved on the project's bucket with one
conditional UPDATE (``used + cost <= limit``), so a project never passes its limit whatever the
number of workers; an invalid call keeps its minimum cost; Google's quotaExceeded marks the
bucket spent until the Pacific-midnight reset."""

import contextlib
import datetime as dt
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from googleapiclient.errors import HttpError

from ..conf import MINIMUM_CALL_COST, method_cost, next_reset_at, pacific_day_start
from ..exceptions import (
    QuotaExhaustedError,
    ReauthorizationRequiredError,
    UploadLimitExceededError,
    YouTubeApiError,
    YouTubeTransientError,
)
from ..models import GoogleProject, YouTubeAccount
from .errors import RETRIABLE, ErrorKind, classify_error, describe_error

logger = logging.getLogger(__name__)

USED_FIELD = {"uploads": "uploads_used", "searches": "searches_used", "units": "units_used"}
LIMIT_FIELD = {"uploads": "upload_limit", "searches": "search_limit", "units": "units_limit"}


# --- Reservations -------------------------------------------------------------------------------
@dataclass
class QuotaReservation:
    project_id: object
    account_id: object | None
    method: str
    bucket: str
    cost: int
    charged: int


def quota_reserve(*, project: GoogleProject, method: str, account: YouTubeAccount | None = None) -> QuotaReservation:
    """Reserve ``method``'s cost on the project's bucket, or raise QuotaExhaustedError.

    One conditional UPDATE (row lock + re-checked WHERE): concurrent reservations serialise on the
    project's row and none can take the bucket past its limit. Units also count on the account."""
    bucket, cost = method_cost(method)
    used, limit = USED_FIELD[bucket], LIMIT_FIELD[bucket]
    now = timezone.now()
    with transaction.atomic():
        updated = GoogleProject.objects.filter(
            pk=project.pk, is_active=True, **{f"{used}__lte": F(limit) - cost}
        ).update(**{used: F(used) + cost, "updated_at": now})
        if not updated:
            raise QuotaExhaustedError(project_id=project.pk, bucket=bucket, next_reset_at=next_reset_at(now))
        if account is not None and bucket == "units":
            YouTubeAccount.objects.filter(pk=account.pk).update(quota_used_today=F("quota_used_today") + cost)
    return QuotaReservation(project.pk, account.pk if account else None, method, bucket, cost, cost)


def quota_settle(*, reservation: QuotaReservation, keep: int) -> None:
    """Lower a reservation's charge to ``keep`` (never below the minimum a call costs)."""
    keep = max(MINIMUM_CALL_COST, keep)
    refund = reservation.charged - keep
    if refund <= 0:
        return
    used = USED_FIELD[reservation.bucket]
    with transaction.atomic():
        GoogleProject.objects.filter(pk=reservation.project_id).update(**{used: Greatest(F(used) - refund, 0)})
        if reservation.account_id and reservation.bucket == "units":
            YouTubeAccount.objects.filter(pk=reservation.account_id).update(
                quota_used_today=Greatest(F("quota_used_today") - refund, 0)
            )
    reservation.charged = keep


def quota_mark_bucket_spent(*, project_id, bucket: str) -> None:
    """Google says the bucket is empty (quotaExceeded): treat it as full until the reset."""
    used, limit = USED_FIELD[bucket], LIMIT_FIELD[bucket]
    GoogleProject.objects.filter(pk=project_id).update(**{used: Greatest(F(used), F(limit))})
    logger.warning("YouTube quota bucket spent", extra={"project_id": str(project_id), "bucket": bucket})


def bucket_for_http_error(exc: HttpError) -> str:
    uri = (getattr(exc, "uri", "") or "").split("?", 1)[0]
    if uri.endswith("/youtube/v3/videos") and "/upload/" in uri:
        return "uploads"
    if uri.endswith("/youtube/v3/search"):
        return "searches"
    return "units"


@contextlib.contextmanager
def metered_call(
    *, project: GoogleProject, method: str, account: YouTubeAccount | None = None, prepaid: bool = False
) -> Iterator[QuotaReservation | None]:
    """Wrap one YouTube API call: reserve its cost first (unless ``prepaid`` by an upload slot),
    settle an invalid call down to its minimum, mark the bucket spent on quotaExceeded."""
    reservation = None if prepaid else quota_reserve(project=project, method=method, account=account)
    try:
        yield reservation
    except HttpError as exc:
        kind = classify_error(exc)
        if kind == ErrorKind.QUOTA:
            quota_mark_bucket_spent(project_id=project.pk, bucket=method_cost(method)[0])
        elif reservation is not None and kind in (ErrorKind.CLIENT, ErrorKind.REAUTH, ErrorKind.UPLOAD_LIMIT):
            quota_settle(reservation=reservation, keep=MINIMUM_CALL_COST)
        raise


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter: base * 2**attempt, capped, times a random factor in [0.5, 1.5)."""
    base = float(settings.YOUTUBE_RETRY_BASE_SECONDS)
    delay = min(float(settings.YOUTUBE_RETRY_MAX_SECONDS), base * (2**attempt))
    return delay * (0.5 + random.random())


def to_application_error(exc: BaseException, *, project: GoogleProject | None = None, bucket: str = "units"):
    """Map a Google error to the pool's ApplicationError (raised ``from`` the original)."""
    kind = classify_error(exc)
    detail = describe_error(exc)
    if kind == ErrorKind.QUOTA:
        return QuotaExhaustedError(
            f"YouTube quota exceeded ({detail})",
            project_id=project.pk if project else None,
            bucket=bucket,
            next_reset_at=next_reset_at(),
        )
    if kind == ErrorKind.UPLOAD_LIMIT:
        return UploadLimitExceededError(f"YouTube upload limit exceeded ({detail})")
    if kind == ErrorKind.REAUTH:
        return ReauthorizationRequiredError(f"YouTube account needs reauthorisation ({detail})")
    if kind in RETRIABLE:
        return YouTubeTransientError(f"YouTube temporarily unavailable ({detail})")
    return YouTubeApiError(f"YouTube API error ({detail})")


# --- Daily reset --------------------------------------------------------------------------------
@dataclass
class ResetReport:
    projects: int
    accounts: int
    day_start: dt.datetime
    dry_run: bool


def quota_reset_due(*, now: dt.datetime | None = None, dry_run: bool = False, force: bool = False) -> ResetReport:
    """Zero the buckets of projects and the daily counters of accounts last reset before the start
    of the current Pacific day. A reset happens once per Pacific day boundary, never mid-day: a row
    reset (or created) since the last Pacific midnight is left alone, so a late, repeated or
    30-minute-sweep run never erases usage recorded today. ``force`` resets everything now (admin)."""
    now = now or timezone.now()
    day_start = pacific_day_start(now)
    stale = Q() if force else Q(last_reset_at__lt=day_start)
    projects = GoogleProject.objects.filter(stale)
    accounts = YouTubeAccount.objects.filter(stale)
    if dry_run:
        return ResetReport(projects.count(), accounts.count(), day_start, True)
    with transaction.atomic():
        n_projects = projects.update(uploads_used=0, searches_used=0, units_used=0, last_reset_at=now, updated_at=now)
        n_accounts = accounts.update(uploads_today=0, quota_used_today=0, last_reset_at=now, updated_at=now)
    logger.info("YouTube quotas reset", extra={"projects": n_projects, "accounts": n_accounts})
    return ResetReport(n_projects, n_accounts, day_start, False)


def project_reset_quota(*, project: GoogleProject) -> GoogleProject:
    """Admin: zero one project's buckets now."""
    now = timezone.now()
    GoogleProject.objects.filter(pk=project.pk).update(
        uploads_used=0, searches_used=0, units_used=0, last_reset_at=now, updated_at=now
    )
    project.refresh_from_db()
    return project


def account_reset_quota(*, account: YouTubeAccount) -> YouTubeAccount:
    """Admin: zero one account's daily counters now (its project's buckets are untouched)."""
    now = timezone.now()
    YouTubeAccount.objects.filter(pk=account.pk).update(
        uploads_today=0, quota_used_today=0, last_reset_at=now, updated_at=now
    )
    account.refresh_from_db()
    return account
