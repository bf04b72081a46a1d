"""Per-project quota metering. Every YouTube API call goes through ``metered_call`` (or
``youtube_execute`` built on it): the call's cost is reserved on the project's bucket with one
conditional UPDATE (``used + cost <= limit``), so a project never passes its limit whatever the
number of workers; an invalid call keeps its minimum cost; Google's quotaExceeded marks the
bucket spent until the Pacific-midnight reset."""

import contextlib
import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from googleapiclient.errors import HttpError

from ..conf import MINIMUM_CALL_COST, method_cost, pacific_tz, setting
from ..exceptions import QuotaExhaustedError, ReauthorizationRequiredError, YouTubeApiError, YouTubeTransientError
from ..models import GoogleProject, YouTubeAccount
from .errors import RETRIABLE, ErrorKind, classify_error, describe_error

logger = logging.getLogger(__name__)

USED_FIELD = {"uploads": "uploads_used", "searches": "searches_used", "units": "units_used"}
LIMIT_FIELD = {"uploads": "upload_limit", "searches": "search_limit", "units": "units_limit"}


# --- Pacific days -------------------------------------------------------------------------------
def pacific_day_start(now: dt.datetime | None = None) -> dt.datetime:
    """The last midnight in America/Los_Angeles (follows daylight saving)."""
    local = (now or timezone.now()).astimezone(pacific_tz())
    return dt.datetime.combine(local.date(), dt.time(0), tzinfo=pacific_tz())


def next_reset_at(now: dt.datetime | None = None) -> dt.datetime:
    """The next midnight in America/Los_Angeles, as an aware datetime (23 or 25 hours away on DST days)."""
    local = (now or timezone.now()).astimezone(pacific_tz())
    return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=pacific_tz())


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
    base = float(setting("YOUTUBE_RETRY_BASE_SECONDS"))
    delay = min(float(setting("YOUTUBE_RETRY_MAX_SECONDS")), base * (2**attempt))
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
        from ..exceptions import UploadLimitExceededError

        return UploadLimitExceededError(f"YouTube upload limit exceeded ({detail})")
    if kind == ErrorKind.REAUTH:
        return ReauthorizationRequiredError(f"YouTube account needs reauthorisation ({detail})")
    if kind in RETRIABLE:
        return YouTubeTransientError(f"YouTube temporarily unavailable ({detail})")
    return YouTubeApiError(f"YouTube API error ({detail})")


def youtube_execute(
    *,
    account: YouTubeAccount,
    method: str,
    build_request: Callable,
    record_result: bool = True,
) -> dict:
    """Run one (non-upload) API call for ``account``: metered on its project, retried with backoff
    and jitter on rate limits, 5xx and transport errors (each attempt is a call and is metered),
    refreshed tokens persisted. Failures are recorded on the account and raised as ApplicationErrors."""
    from .credentials import account_credentials, account_persist_if_refreshed, build_youtube
    from .pool import account_record_result

    project = account.project
    credentials = account_credentials(account)
    token_before = credentials.token
    youtube = build_youtube(credentials)
    attempts = int(setting("YOUTUBE_RETRY_MAX_ATTEMPTS"))
    try:
        for attempt in range(attempts):
            try:
                with metered_call(project=project, method=method, account=account):
                    response = build_request(youtube).execute()
                break
            except QuotaExhaustedError:
                raise
            except Exception as exc:
                kind = classify_error(exc)
                if kind in RETRIABLE and attempt + 1 < attempts:
                    time.sleep(backoff_seconds(attempt))
                    continue
                error = to_application_error(exc, project=project, bucket=method_cost(method)[0])
                error.__cause__ = exc
                if record_result:
                    account_record_result(account=account, success=False, error=error)
                raise error from exc
    finally:
        account_persist_if_refreshed(account=account, credentials=credentials, token_before=token_before)
    return response


# --- Daily reset --------------------------------------------------------------------------------
@dataclass
class ResetReport:
    projects: int
    accounts: int
    day_start: dt.datetime
    dry_run: bool


def quota_reset_due(*, now: dt.datetime | None = None, dry_run: bool = False, force: bool = False) -> ResetReport:
    """Zero the buckets of projects and the daily counters of accounts not yet reset since the last
    Pacific midnight. Idempotent: a late or repeated run in the same Pacific day resets nothing,
    so usage recorded after midnight is never erased. ``force`` resets everything now (admin)."""
    now = now or timezone.now()
    day_start = pacific_day_start(now)
    stale = Q() if force else (Q(last_reset_at__isnull=True) | Q(last_reset_at__lt=day_start))
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
