"""Reads of the YouTube pool: capacity rows (per account, per project) and the health summary.

Rows are plain dicts of native values (UUID, int, Decimal, aware datetime): callers combine them
(the bindings live in other apps) and serialise them. No email, token or secret is ever in a row.
``account_capacity_rows`` and ``project_capacity_rows`` are one query each."""

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from .conf import BUCKETS, next_reset_at, units_ok
from .models import GoogleProject, YouTubeAccount


def _project_uploads_left(project: GoogleProject | None) -> int:
    """Upload calls the project can still pay today (0 when inactive or over its units soft limit)."""
    if project is None or not project.is_active:
        return 0
    if not units_ok(units_used=project.units_used, units_limit=project.units_limit):
        return 0
    return max(0, project.upload_limit - project.uploads_used)


# What a capacity row reads (never the encrypted credentials): one narrow query for 500 accounts.
_CAPACITY_FIELDS = (
    "id",
    "channel_id",
    "channel_handle",
    "owner_id",
    "is_reserve",
    "is_sandbox",
    "is_active",
    "needs_reauth",
    "rested_until",
    "uploads_today",
    "daily_upload_cap",
    "health_score",
    "project__id",
    "project__name",
    "project__is_active",
    "project__upload_limit",
    "project__uploads_used",
    "project__units_limit",
    "project__units_used",
)


def account_capacity_rows(*, account_ids=None, now: dt.datetime | None = None) -> list[dict]:
    """One row per account (all, or those of ``account_ids``), reserve accounts last:
    ``id, channel_id, handle, project_id, project_name, owner_id, is_reserve, is_sandbox, state,
    uploads_today, daily_upload_cap, uploads_left, health_score, rested_until``.

    ``uploads_left`` is 0 unless the state is "ok"; otherwise the least of the account's slots left
    today and its project's upload calls left (0 when the project is inactive or its units are past
    the soft limit). One query."""
    now = now or timezone.now()
    accounts = (
        YouTubeAccount.objects.select_related("project")
        .only(*_CAPACITY_FIELDS)
        .order_by("is_reserve", "channel_handle", "id")
    )
    if account_ids is not None:
        ids = [pk for pk in account_ids if pk is not None]
        if not ids:
            return []
        accounts = accounts.filter(pk__in=ids)
    rows = []
    for account in accounts:
        state = account.current_state(now)
        left = 0
        if state == "ok":
            left = min(max(0, account.daily_upload_cap - account.uploads_today), _project_uploads_left(account.project))
        rows.append(
            {
                "id": account.pk,
                "channel_id": account.channel_id,
                "handle": account.channel_handle,
                "project_id": account.project_id,
                "project_name": account.project.name if account.project else None,
                "owner_id": account.owner_id,
                "is_reserve": account.is_reserve,
                "is_sandbox": account.is_sandbox,
                "state": state,
                "uploads_today": account.uploads_today,
                "daily_upload_cap": account.daily_upload_cap,
                "uploads_left": left,
                "health_score": account.health_score,
                "rested_until": account.rested_until if state == "resting" else None,
            }
        )
    return rows


def project_capacity_rows(*, now: dt.datetime | None = None) -> list[dict]:
    """One row per Google project, by name: ``id, name, is_active, is_sandbox, buckets`` (uploads,
    searches, units: ``{used, limit, left}``), ``units_ok`` (under the soft limit with room for a
    thumbnail), ``uploads_left`` (upload calls it can still pay today), ``last_reset_at`` and
    ``next_reset_at`` (the next Pacific midnight). One query."""
    now = now or timezone.now()
    reset = next_reset_at(now)
    rows = []
    for project in GoogleProject.objects.order_by("name"):
        rows.append(
            {
                "id": project.pk,
                "name": project.name,
                "is_active": project.is_active,
                "is_sandbox": project.is_sandbox,
                "buckets": {
                    bucket: {
                        "used": project.bucket_used(bucket),
                        "limit": project.bucket_limit(bucket),
                        "left": max(0, project.bucket_limit(bucket) - project.bucket_used(bucket)),
                    }
                    for bucket in BUCKETS
                },
                "units_ok": units_ok(units_used=project.units_used, units_limit=project.units_limit),
                "uploads_left": _project_uploads_left(project),
                "last_reset_at": project.last_reset_at,
                "next_reset_at": reset,
            }
        )
    return rows


def account_pool_summary() -> dict:
    """Counts for health output: ``"N/15 active"`` (the platform's pool: owner null) plus reserve,
    customers' own accounts and accounts needing reconnection."""
    platform = Q(owner__isnull=True)
    counts = YouTubeAccount.objects.aggregate(
        total=Count("id"),
        active=Count("id", filter=platform & Q(is_active=True, is_reserve=False)),
        reserve=Count("id", filter=platform & Q(is_active=True, is_reserve=True)),
        customer=Count("id", filter=Q(owner__isnull=False)),
        needs_reauth=Count("id", filter=Q(needs_reauth=True)),
    )
    expected = settings.YOUTUBE_EXPECTED_ACCOUNTS
    usable = counts["active"] + counts["reserve"]
    return {
        "status": "ok" if usable else "empty",
        "summary": f"{usable}/{expected} active",
        **counts,
        "expected": expected,
    }
