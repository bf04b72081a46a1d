"""One metered, retried YouTube API call for an account (every call except the upload itself).

``youtube_execute`` is the pool's own calls (checks, thumbnails, finding an upload): metered on the
project's bucket up to its limit. ``youtube_read`` is for reads that must never crowd out uploads
(the stats sync: channels.list, videos.list, YouTube Analytics reports): they spend a project's
units only up to the soft limit, less the units its remaining uploads will need."""

import time
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from ..conf import follow_up_units, method_cost, next_reset_at
from ..exceptions import QuotaExhaustedError
from ..models import GoogleProject, YouTubeAccount
from .credentials import account_credentials, account_persist_if_refreshed, build_youtube, build_youtube_analytics
from .errors import RETRIABLE, classify_error
from .pool import account_record_result
from .quota import QuotaReservation, backoff_seconds, metered_call, to_application_error

# The Google API clients a read may use, by name.
READ_CLIENTS: dict[str, Callable] = {"youtube": build_youtube, "youtubeAnalytics": build_youtube_analytics}


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
    return _execute(
        account=account,
        method=method,
        build_request=build_request,
        record_result=record_result,
        client=build_youtube,
    )


def youtube_read(
    *,
    account: YouTubeAccount,
    method: str,
    build_request: Callable,
    api: str = "youtube",
    record_result: bool = True,
) -> dict:
    """A read for ``account`` through its own credentials (``api``: "youtube" for the Data API,
    "youtubeAnalytics" for YouTube Analytics v2), like ``youtube_execute`` (retries, refreshed
    tokens, failures recorded unless ``record_result`` is False) but reserved with
    ``quota_reserve_read``: it raises QuotaExhaustedError rather than take the project's units past
    the soft limit or into the room its remaining uploads need."""
    if api not in READ_CLIENTS:
        raise ValueError(f"Unknown Google API {api!r}; expected one of {sorted(READ_CLIENTS)}")
    return _execute(
        account=account,
        method=method,
        build_request=build_request,
        record_result=record_result,
        client=READ_CLIENTS[api],
        reserve=lambda: quota_reserve_read(project=account.project, method=method, account=account),
    )


def quota_reserve_read(*, project: GoogleProject, method: str, account: YouTubeAccount | None = None):
    """Reserve a read's cost on the project's units only while, after it,
    ``units_used <= units_limit * YOUTUBE_UNITS_SOFT_LIMIT_PERCENT / 100 - room``, where ``room`` is
    the follow-up units (thumbnails.set) of every upload call the project can still pay today.
    So reads never take a project past the soft limit, nor stop the uploads booking checks for.

    One conditional UPDATE on the project's row: concurrent readers serialise on it and none can
    pass the line. Raises QuotaExhaustedError (bucket "units") when the read does not fit."""
    bucket, cost = method_cost(method)
    if bucket != "units":
        raise ValueError(f"{method} is not a read paid from the units bucket")
    percent = int(settings.YOUTUBE_UNITS_SOFT_LIMIT_PERCENT)
    room = Greatest(F("upload_limit") - F("uploads_used"), Value(0)) * follow_up_units()
    ceiling = F("units_limit") * percent / 100 - room - cost
    now = timezone.now()
    with transaction.atomic():
        updated = GoogleProject.objects.filter(pk=project.pk, is_active=True, units_used__lte=ceiling).update(
            units_used=F("units_used") + cost, updated_at=now
        )
        if not updated:
            raise QuotaExhaustedError(
                f"Project units kept for uploads: reads stop at {percent}% less the uploads' follow-up calls",
                project_id=project.pk,
                bucket=bucket,
                next_reset_at=next_reset_at(now),
            )
        if account is not None:
            YouTubeAccount.objects.filter(pk=account.pk).update(quota_used_today=F("quota_used_today") + cost)
    return QuotaReservation(project.pk, account.pk if account else None, method, bucket, cost, cost)


def quota_read_room(project: GoogleProject | None) -> int:
    """Units a read could still spend on ``project`` today under ``quota_reserve_read``'s line (0
    when it has no project or is inactive). A hint for skipping early; the reservation decides."""
    if project is None or not project.is_active:
        return 0
    percent = int(settings.YOUTUBE_UNITS_SOFT_LIMIT_PERCENT)
    room = max(0, project.upload_limit - project.uploads_used) * follow_up_units()
    return max(0, project.units_limit * percent // 100 - room - project.units_used)


def _execute(
    *,
    account: YouTubeAccount,
    method: str,
    build_request: Callable,
    record_result: bool,
    client: Callable,
    reserve: Callable | None = None,
) -> dict:
    """The call with retries. Each attempt is paid first: by ``reserve()`` when given, else by
    metered_call's own reservation up to the bucket's limit."""
    project = account.project
    credentials = account_credentials(account)
    token_before = credentials.token
    service = client(credentials)
    attempts = int(settings.YOUTUBE_RETRY_MAX_ATTEMPTS)
    try:
        for attempt in range(attempts):
            try:
                if reserve is not None:
                    reserve()
                # metered_call reserves (unless prepaid) and marks the bucket spent on quotaExceeded.
                with metered_call(project=project, method=method, account=account, prepaid=reserve is not None):
                    response = build_request(service).execute()
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
