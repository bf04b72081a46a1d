"""YouTube's quota table and small accessors over the project settings.

Every YOUTUBE_* setting is defined once, with its default, in ``ytempire/settings/base.py``; the pool
reads ``settings.X`` at call time, so tests and deployments override it there."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

# method -> (bucket, cost). YouTube's current quota table: videos.insert and search.list have
# their own per-project buckets of 100 calls a day; everything else spends the 10,000 units.
METHOD_COSTS: dict[str, tuple[str, int]] = {
    "videos.insert": ("uploads", 1),
    "search.list": ("searches", 1),
    "channels.list": ("units", 1),
    "videos.list": ("units", 1),
    "playlistItems.list": ("units", 1),
    "playlists.list": ("units", 1),
    "thumbnails.set": ("units", 50),
    "playlistItems.insert": ("units", 50),
    "videos.update": ("units", 50),
    "videos.delete": ("units", 50),
    # The YouTube Analytics API has its own quota, not these units; the pool still meters each
    # report as one unit so the stats sync obeys the same ceiling and the counters err on the safe side.
    "youtubeAnalytics.reports.query": ("units", 1),
}
# The scope a channel grants for revenue reads (YouTube Analytics estimatedRevenue).
MONETARY_SCOPE = "https://www.googleapis.com/auth/yt-analytics-monetary.readonly"
BUCKETS = ("uploads", "searches", "units")
# The minimum any call costs, even an invalid one.
MINIMUM_CALL_COST = 1
# What an unknown method is charged: never free.
UNKNOWN_METHOD_COST = ("units", 50)


def method_costs() -> dict[str, tuple[str, int]]:
    """Google's table with settings.YOUTUBE_QUOTA_COSTS merged over it."""
    return {**METHOD_COSTS, **{k: tuple(v) for k, v in (settings.YOUTUBE_QUOTA_COSTS or {}).items()}}


def method_cost(method: str) -> tuple[str, int]:
    """(bucket, cost) of an API method; unknown methods are charged as 50 units, never free."""
    return method_costs().get(method, UNKNOWN_METHOD_COST)


def upload_cap_default(*, is_reserve: bool) -> int:
    """The configured daily upload cap of an active or a reserve account."""
    return int(settings.YOUTUBE_RESERVE_UPLOAD_CAP if is_reserve else settings.YOUTUBE_ACTIVE_UPLOAD_CAP)


def pacific_tz() -> ZoneInfo:
    return ZoneInfo(settings.YOUTUBE_TIMEZONE)


def pacific_day_start(now: dt.datetime | None = None) -> dt.datetime:
    """The last midnight in America/Los_Angeles (follows daylight saving)."""
    local = (now or timezone.now()).astimezone(pacific_tz())
    return dt.datetime.combine(local.date(), dt.time(0), tzinfo=pacific_tz())


def next_reset_at(now: dt.datetime | None = None) -> dt.datetime:
    """The next midnight in America/Los_Angeles, as an aware datetime (23 or 25 hours away on DST days)."""
    local = (now or timezone.now()).astimezone(pacific_tz())
    return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=pacific_tz())


def follow_up_units() -> int:
    """Units an upload needs after videos.insert (the thumbnail)."""
    return method_cost("thumbnails.set")[1]


def units_ok(*, units_used: int, units_limit: int) -> bool:
    """A project may book an upload while its units stay under YOUTUBE_UNITS_SOFT_LIMIT_PERCENT of
    its limit with room for the upload's follow-up calls (the same rule as account_book_upload's UPDATE)."""
    percent = int(settings.YOUTUBE_UNITS_SOFT_LIMIT_PERCENT)
    return (units_used + follow_up_units()) * 100 <= units_limit * percent


def media_path(value: str) -> Path:
    """A media file's path: absolute as given, or relative to settings.STORAGE_BASE_PATH."""
    path = Path(value)
    return path if path.is_absolute() else Path(settings.STORAGE_BASE_PATH) / path
