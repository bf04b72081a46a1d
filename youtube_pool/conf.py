"""App settings with defaults. Each is read at call time (``getattr(settings, NAME, default)``) so
tests and deployments can override it; the project settings may define any of them."""

from decimal import Decimal

from django.conf import settings

# method -> (bucket, cost). YouTube's current quota table: videos.insert and search.list have
# their own per-project buckets of 100 calls a day; everything else spends the 10,000 units.
DEFAULT_METHOD_COSTS: dict[str, tuple[str, int]] = {
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
}
BUCKETS = ("uploads", "searches", "units")
# The minimum any call costs, even an invalid one.
MINIMUM_CALL_COST = 1

DEFAULTS = {
    "YOUTUBE_QUOTA_COSTS": {},  # overrides merged over DEFAULT_METHOD_COSTS
    "YOUTUBE_ACTIVE_UPLOAD_CAP": 5,
    "YOUTUBE_RESERVE_UPLOAD_CAP": 2,
    "YOUTUBE_UNITS_SOFT_LIMIT_PERCENT": 80,  # acquisition keeps a project under 80% of its units
    "YOUTUBE_MAX_CONSECUTIVE_ERRORS_FOR_UPLOAD": 3,
    "YOUTUBE_DEACTIVATE_AFTER_ERRORS": 5,
    "YOUTUBE_REST_HOURS": 24,
    "YOUTUBE_RETRY_MAX_ATTEMPTS": 5,
    "YOUTUBE_RETRY_BASE_SECONDS": 1.0,
    "YOUTUBE_RETRY_MAX_SECONDS": 60.0,
    "YOUTUBE_HTTP_TIMEOUT_SECONDS": 60,
    "YOUTUBE_UPLOAD_CHUNK_SIZE": 8 * 1024 * 1024,  # multiple of 256 KiB, as Google requires
    "YOUTUBE_DEFAULT_PRIVACY_STATUS": "private",
    "YOUTUBE_DEFAULT_CATEGORY_ID": "22",
    "YOUTUBE_OAUTH_STATE_TTL_SECONDS": 600,
    "YOUTUBE_TOKEN_REFRESH_WINDOW_SECONDS": 3600,
    "YOUTUBE_ACQUIRE_LOCK_RETRIES": 50,
    "YOUTUBE_THUMBNAIL_RETRY_SECONDS": 300,
    "CREDENTIALS_ALLOW_DEV_KEY": False,  # True only in settings/local.py and settings/test.py
    "GOOGLE_CA_BUNDLE": None,  # CA file for a non-Google endpoint (staging emulator, tests)
}


def setting(name: str):
    return getattr(settings, name, DEFAULTS[name])


def method_costs() -> dict[str, tuple[str, int]]:
    return {**DEFAULT_METHOD_COSTS, **{k: tuple(v) for k, v in setting("YOUTUBE_QUOTA_COSTS").items()}}


def method_cost(method: str) -> tuple[str, int]:
    """(bucket, cost) of an API method; unknown methods are charged as 50 units, never free."""
    return method_costs().get(method, ("units", 50))


def units_soft_limit_percent() -> Decimal:
    return Decimal(setting("YOUTUBE_UNITS_SOFT_LIMIT_PERCENT"))


def pacific_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(getattr(settings, "YOUTUBE_TIMEZONE", "America/Los_Angeles"))
