"""Base settings: everything, read from the environment (django-environ).

With nothing set the project runs on its embedded default: SQLite, the
local-memory cache and Celery over a file-system transport (no broker server).
``DATABASE_URL``, ``REDIS_URL`` and ``CELERY_BROKER_URL`` switch to
PostgreSQL (psycopg 3), django-redis and a real broker.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from ytempire.core.logging import sentry_before_send

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
ENV_FILE = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if Path(ENV_FILE).is_file():
    environ.Env.read_env(ENV_FILE)

# --- Application ---------------------------------------------------------------
PROJECT_NAME = env.str("PROJECT_NAME", default="YTEMPIRE")
VERSION = "0.1.0"
ENVIRONMENT = env.str("ENVIRONMENT", default="development")
DEBUG = env.bool("DEBUG", default=False)
# Development-only default; production.py refuses it.
INSECURE_DEFAULT_SECRET_KEY = "django-insecure-local-development-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
API_V1_STR = "/api/v1"

INSTALLED_APPS = [
    # django-unfold (templates, static Chart.js, widgets) without replacing admin.site: the default
    # site is ytempire.ops's operations console (dashboard, capacity and queue pages).
    "unfold.apps.BasicAppConfig",
    "ytempire.ops.admin_config.OpsAdminConfig",  # django.contrib.admin with that default site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prometheus",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from our static files: docs work offline
    "django_celery_beat",
    "ytempire.core",
    "ytempire.ops",
    "accounts",
    "channels",
    "youtube_pool",
    "videos",
    "analytics",
    "costs",
    "webhooks",
    "billing",
]

MIDDLEWARE = [
    "ytempire.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ytempire.urls"
WSGI_APPLICATION = "ytempire.wsgi.application"
ASGI_APPLICATION = "ytempire.asgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------
# SQLite by default; DATABASE_URL (postgres://...) switches to PostgreSQL via psycopg 3.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
if "postgresql" in _db["ENGINE"]:
    _db["ENGINE"] = "django_prometheus.db.backends.postgresql"
    _db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
elif "sqlite" in _db["ENGINE"]:
    _db["ENGINE"] = "django_prometheus.db.backends.sqlite3"
    # WAL and IMMEDIATE transactions let the web process and the worker share the file.
    _db["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Covering indexes (INCLUDE) are a PostgreSQL optimisation; SQLite builds them without the extra
    # columns, as intended, so its warning about it is noise on every `make run`.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Redis -------------------------------------------------------------
# "default" serves throttles, lockouts and OAuth state; "counters" holds cost and
# quota counters and never swallows errors, so a Redis outage fails closed.
REDIS_URL = env.str("REDIS_URL", default="")
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="ytempire")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
                "IGNORE_EXCEPTIONS": False,
            },
        },
        "counters": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{CACHE_KEY_PREFIX}:counters",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                "IGNORE_EXCEPTIONS": False,
            },
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        "counters": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "counters"},
    }

# --- Celery ----------------------------------------------------------------------
# Without CELERY_BROKER_URL the worker and beat talk through a local folder (kombu's
# file-system transport), so `make run` needs no broker server. (Its host is unused; naming one
# keeps kombu from warning "No hostname was supplied" at every connection.)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
CELERY_BROKER_FOLDER = Path(env.str("CELERY_BROKER_FOLDER", default=str(BASE_DIR / "var" / "celery")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
else:
    # Priorities 0 (highest) .. 9 on Redis; video priority 10 maps to 0. Each priority has its own
    # list ("pipeline", "pipeline:1" .. "pipeline:9") and a worker's BRPOP names them priority
    # first, so a message of a higher priority in any queue is taken before a lower one in all of
    # them (videos/tests/test_priority_worker.py). queue_order_strategy only breaks ties between
    # queues at the SAME priority: "round_robin" takes them in turn; "priority" would always take
    # the -Q list in order (default, pipeline, render, upload), so uploads would wait until
    # generation at their priority ran dry.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "queue_order_strategy": "round_robin",
        "priority_steps": list(range(10)),
        "sep": ":",
    }
CELERY_TASK_QUEUE_MAX_PRIORITY = 9
CELERY_TASK_DEFAULT_PRIORITY = 5
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers and beat log through LOGGING below (structured JSON), like the web process, at the level
# they are started with (--loglevel): ytempire/celery.py's setup_logging receiver applies both.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Auth and JWT ----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)

JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="insecure-local-jwt-signing-key-change-me-0123456789")
JWT_ALGORITHM = env.str("ALGORITHM", default="HS256")
ACCESS_TOKEN_EXPIRE_MINUTES = env.int("ACCESS_TOKEN_EXPIRE_MINUTES", default=30)
REFRESH_TOKEN_EXPIRE_DAYS = env.int("REFRESH_TOKEN_EXPIRE_DAYS", default=7)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=REFRESH_TOKEN_EXPIRE_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": JWT_ALGORITHM,
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "ISSUER": PROJECT_NAME,
}
LOGIN_LOCKOUT_ATTEMPTS = env.int("LOGIN_LOCKOUT_ATTEMPTS", default=5)
LOGIN_LOCKOUT_WINDOW_SECONDS = env.int("LOGIN_LOCKOUT_WINDOW_SECONDS", default=15 * 60)

# Subscription tiers: limits follow the tier. Order matters (upgrade path).
TIERS = {
    "free": {"label": "Free", "channel_limit": 5, "daily_video_limit": 10},
    "starter": {"label": "Starter", "channel_limit": 5, "daily_video_limit": 25},
    "growth": {"label": "Growth", "channel_limit": 25, "daily_video_limit": 100},
    "scale": {"label": "Scale", "channel_limit": 100, "daily_video_limit": 500},
}

# --- REST framework --------------------------------------------------------------
RATE_LIMIT_PER_MINUTE = env.int("RATE_LIMIT_PER_MINUTE", default=60)
RATE_LIMIT_PER_HOUR = env.int("RATE_LIMIT_PER_HOUR", default=1000)
RATE_LIMIT_PER_DAY = env.int("RATE_LIMIT_PER_DAY", default=10000)
RATE_LIMIT_ANON_PER_MINUTE = env.int("RATE_LIMIT_ANON_PER_MINUTE", default=20)
RATE_LIMIT_AUTH_PER_MINUTE = env.int("RATE_LIMIT_AUTH_PER_MINUTE", default=10)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ("accounts.authentication.VersionedJWTAuthentication",),
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
    "DEFAULT_RENDERER_CLASSES": ("ytempire.core.renderers.ORJSONRenderer",),  # DRF's bytes, orjson's speed
    # Refuses NUL, unpaired surrogates, NaN/Infinity and nesting deeper than 64 before any serializer runs.
    "DEFAULT_PARSER_CLASSES": ("ytempire.core.parsers.JSONParser",),
    "DEFAULT_PAGINATION_CLASS": "ytempire.core.pagination.PageLimitPagination",
    "DEFAULT_FILTER_BACKENDS": ("django_filters.rest_framework.DjangoFilterBackend",),
    "DEFAULT_SCHEMA_CLASS": "ytempire.core.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ytempire.core.exception_handler.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": (
        "ytempire.core.throttling.UserRateThrottle",  # minute, hour and day in one Redis round trip
        "ytempire.core.throttling.AnonMinuteThrottle",
    ),
    "DEFAULT_THROTTLE_RATES": {
        "user_minute": f"{RATE_LIMIT_PER_MINUTE}/min",
        "user_hour": f"{RATE_LIMIT_PER_HOUR}/hour",
        "user_day": f"{RATE_LIMIT_PER_DAY}/day",
        "anon_minute": f"{RATE_LIMIT_ANON_PER_MINUTE}/min",
        "auth": f"{RATE_LIMIT_AUTH_PER_MINUTE}/min",
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "YTEMPIRE API",
    "DESCRIPTION": "Automated YouTube content platform: channels, videos, costs, YouTube pool, webhooks.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ChannelStatusEnum": "channels.models.ChannelStatus",
        "VideoStatusEnum": "videos.models.VideoStatus",
        "YouTubeAccountStateEnum": "channels.ports.ACCOUNT_STATES",
    },
}

# --- Costs -----------------------------------------------------------------------
TARGET_COST_PER_VIDEO = Decimal(env.str("TARGET_COST_PER_VIDEO", default="1.00"))
WARNING_COST_THRESHOLD = Decimal(env.str("WARNING_COST_THRESHOLD", default="2.50"))
MAX_COST_PER_VIDEO = Decimal(env.str("MAX_COST_PER_VIDEO", default="3.00"))
DAILY_COST_BUDGET = Decimal(env.str("DAILY_COST_BUDGET", default="150.00"))
MONTHLY_COST_BUDGET = Decimal(env.str("MONTHLY_COST_BUDGET", default="4500.00"))
COST_BUDGET_TIMEZONE = env.str("COST_BUDGET_TIMEZONE", default="UTC")
COST_RESERVATION_TTL_SECONDS = env.int("COST_RESERVATION_TTL_SECONDS", default=30 * 60)
# Estimates learn from the ledger: the p95 of the last COST_ESTIMATE_WINDOW published videos per
# level and service, plus a margin, once COST_ESTIMATE_MIN_SAMPLES of them exist (the rate table before).
COST_ESTIMATE_WINDOW = env.int("COST_ESTIMATE_WINDOW", default=200)
COST_ESTIMATE_MIN_SAMPLES = env.int("COST_ESTIMATE_MIN_SAMPLES", default=30)
COST_ESTIMATE_MARGIN_PERCENT = env.int("COST_ESTIMATE_MARGIN_PERCENT", default=10)

# --- YouTube ---------------------------------------------------------------------
# The one table of YouTube settings: youtube_pool reads each at call time (settings.X), so tests
# and deployments override them here or in the environment; youtube_pool/conf.py keeps no defaults.
YOUTUBE_CLIENT_ID = env.str("YOUTUBE_CLIENT_ID", default="")
YOUTUBE_CLIENT_SECRET = env.str("YOUTUBE_CLIENT_SECRET", default="")
YOUTUBE_REDIRECT_URI = env.str("YOUTUBE_REDIRECT_URI", default="http://localhost:8000/api/v1/youtube/oauth/callback")
# The seed's two, plus YouTube Analytics (views by day, and estimated revenue where the channel grants
# the monetary scope; without it revenue is shown as "not authorised", never as 0).
YOUTUBE_SCOPES = env.list(
    "YOUTUBE_SCOPES",
    default=[
        "https://www.googleapis.com/auth/youtube.upload",
        "https://www.googleapis.com/auth/youtube",
        "https://www.googleapis.com/auth/yt-analytics.readonly",
        "https://www.googleapis.com/auth/yt-analytics-monetary.readonly",
    ],
)
# Overridable endpoints so tests (and staging) can point the real clients at fakes.
YOUTUBE_API_ENDPOINT = env.str("YOUTUBE_API_ENDPOINT", default="")
# The YouTube Analytics API (reports.query, revenue); empty: Google's youtubeanalytics.googleapis.com.
YOUTUBE_ANALYTICS_ENDPOINT = env.str("YOUTUBE_ANALYTICS_ENDPOINT", default="")
# GET /api/v1/analytics/overview is kept this long per caller and range (a dashboard polls it; 0: off).
ANALYTICS_OVERVIEW_CACHE_SECONDS = env.int("ANALYTICS_OVERVIEW_CACHE_SECONDS", default=15)
GOOGLE_OAUTH_AUTH_URI = env.str("GOOGLE_OAUTH_AUTH_URI", default="https://accounts.google.com/o/oauth2/auth")
GOOGLE_OAUTH_TOKEN_URI = env.str("GOOGLE_OAUTH_TOKEN_URI", default="https://oauth2.googleapis.com/token")
# Disconnecting an account POSTs its refresh token here (a failure is logged, never blocks).
GOOGLE_OAUTH_REVOKE_URI = env.str("GOOGLE_OAUTH_REVOKE_URI", default="https://oauth2.googleapis.com/revoke")
# CA file for a non-Google endpoint (staging emulator, tests); None: the system's.
GOOGLE_CA_BUNDLE = env.str("GOOGLE_CA_BUNDLE", default="") or None
# Google resets YouTube quota at midnight Pacific time (follows daylight saving).
YOUTUBE_TIMEZONE = "America/Los_Angeles"
YOUTUBE_EXPECTED_ACCOUNTS = env.int("YOUTUBE_EXPECTED_ACCOUNTS", default=15)
# Fernet keys (url-safe base64, 32 bytes), newest first; older keys still decrypt.
CREDENTIALS_ENCRYPTION_KEYS = env.list("CREDENTIALS_ENCRYPTION_KEYS", default=[])
# Only local and test settings may derive a development key from SECRET_KEY.
CREDENTIALS_ALLOW_DEV_KEY = False
# Quota: {"method": ["bucket", cost]} merged over youtube_pool.conf.METHOD_COSTS (Google's table).
YOUTUBE_QUOTA_COSTS = env.json("YOUTUBE_QUOTA_COSTS", default={})
# Booking an upload keeps each project under this share of its daily units (room for follow-up calls).
YOUTUBE_UNITS_SOFT_LIMIT_PERCENT = env.int("YOUTUBE_UNITS_SOFT_LIMIT_PERCENT", default=80)
# Uploads a day per account (the seed's 5 active, 2 reserve); uploadLimitExceeded lowers an account's.
YOUTUBE_ACTIVE_UPLOAD_CAP = env.int("YOUTUBE_ACTIVE_UPLOAD_CAP", default=5)
YOUTUBE_RESERVE_UPLOAD_CAP = env.int("YOUTUBE_RESERVE_UPLOAD_CAP", default=2)
# Health: an account at this error streak is not picked for a new binding; deactivated at the second.
YOUTUBE_MAX_CONSECUTIVE_ERRORS_FOR_UPLOAD = env.int("YOUTUBE_MAX_CONSECUTIVE_ERRORS_FOR_UPLOAD", default=3)
YOUTUBE_DEACTIVATE_AFTER_ERRORS = env.int("YOUTUBE_DEACTIVATE_AFTER_ERRORS", default=5)
# How long an account rests after uploadLimitExceeded (or a staff "Rest" action).
YOUTUBE_REST_HOURS = env.int("YOUTUBE_REST_HOURS", default=24)
# Retries of one API call or upload session: attempts, then exponential backoff with jitter.
YOUTUBE_RETRY_MAX_ATTEMPTS = env.int("YOUTUBE_RETRY_MAX_ATTEMPTS", default=5)
YOUTUBE_RETRY_BASE_SECONDS = env.float("YOUTUBE_RETRY_BASE_SECONDS", default=1.0)
YOUTUBE_RETRY_MAX_SECONDS = env.float("YOUTUBE_RETRY_MAX_SECONDS", default=60.0)
YOUTUBE_HTTP_TIMEOUT_SECONDS = env.int("YOUTUBE_HTTP_TIMEOUT_SECONDS", default=60)
# Resumable upload chunk: a multiple of 256 KiB, as Google requires.
YOUTUBE_UPLOAD_CHUNK_SIZE = env.int("YOUTUBE_UPLOAD_CHUNK_SIZE", default=8 * 1024 * 1024)
# Used when an upload request leaves them empty.
YOUTUBE_DEFAULT_PRIVACY_STATUS = env.str("YOUTUBE_DEFAULT_PRIVACY_STATUS", default="private")
YOUTUBE_DEFAULT_CATEGORY_ID = env.str("YOUTUBE_DEFAULT_CATEGORY_ID", default="22")
YOUTUBE_OAUTH_STATE_TTL_SECONDS = env.int("YOUTUBE_OAUTH_STATE_TTL_SECONDS", default=600)
# The health sweep refreshes tokens expiring within this window.
YOUTUBE_TOKEN_REFRESH_WINDOW_SECONDS = env.int("YOUTUBE_TOKEN_REFRESH_WINDOW_SECONDS", default=3600)
# First retry of a failed thumbnails.set (doubled on each further retry).
YOUTUBE_THUMBNAIL_RETRY_SECONDS = env.int("YOUTUBE_THUMBNAIL_RETRY_SECONDS", default=300)

# --- Providers (script, voice, render, upload) ----------------------------------
# "sandbox" providers work offline and are labelled as such everywhere.
PROVIDERS_MODE = env.str("PROVIDERS_MODE", default="sandbox")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="") or None
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-3.5-turbo")
OPENAI_MAX_TOKENS = env.int("OPENAI_MAX_TOKENS", default=2000)
OPENAI_TEMPERATURE = Decimal(env.str("OPENAI_TEMPERATURE", default="0.7"))
GOOGLE_APPLICATION_CREDENTIALS = env.str("GOOGLE_APPLICATION_CREDENTIALS", default="")
GOOGLE_TTS_LANGUAGE = env.str("GOOGLE_TTS_LANGUAGE", default="en-US")
GOOGLE_TTS_VOICE = env.str("GOOGLE_TTS_VOICE", default="en-US-Neural2-J")
GOOGLE_TTS_BASE_URL = env.str("GOOGLE_TTS_BASE_URL", default="https://texttospeech.googleapis.com")
GOOGLE_TTS_API_KEY = env.str("GOOGLE_TTS_API_KEY", default="")
ELEVENLABS_API_KEY = env.str("ELEVENLABS_API_KEY", default="")
ELEVENLABS_VOICE_ID = env.str("ELEVENLABS_VOICE_ID", default="21m00Tcm4TlvDq8ikWAM")
ELEVENLABS_BASE_URL = env.str("ELEVENLABS_BASE_URL", default="https://api.elevenlabs.io")

# --- Pipeline and automation ------------------------------------------------------
# A render that hears nothing from N8N within this is retried once, then failed (the seed's P99).
PIPELINE_RENDER_TIMEOUT_SECONDS = env.int("PIPELINE_RENDER_TIMEOUT_SECONDS", default=10 * 60)
PIPELINE_MAX_RENDER_ATTEMPTS = env.int("PIPELINE_MAX_RENDER_ATTEMPTS", default=2)
# A step (or a queued/ready video) untouched for this long is considered lost and resumed.
PIPELINE_STUCK_SECONDS = env.int("PIPELINE_STUCK_SECONDS", default=15 * 60)
PIPELINE_STEP_MAX_RETRIES = env.int("PIPELINE_STEP_MAX_RETRIES", default=5)
PIPELINE_RETRY_BASE_SECONDS = env.int("PIPELINE_RETRY_BASE_SECONDS", default=15)
AUTOMATION_RECENT_TITLES = env.int("AUTOMATION_RECENT_TITLES", default=50)
# The platform's daily publishing target (the operations dashboard and analytics compare against it).
DAILY_VIDEO_TARGET = env.int("DAILY_VIDEO_TARGET", default=50)

# --- Stripe ----------------------------------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", default=10)
STRIPE_PRICE_IDS = {
    "starter": env.str("STRIPE_PRICE_ID_STARTER", default=""),
    "growth": env.str("STRIPE_PRICE_ID_GROWTH", default=""),
    "scale": env.str("STRIPE_PRICE_ID_SCALE", default=""),
}
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000")

# --- N8N -------------------------------------------------------------------------
N8N_BASE_URL = env.str("N8N_BASE_URL", default="http://localhost:5678")
N8N_API_KEY = env.str("N8N_API_KEY", default="")
N8N_RENDER_WORKFLOW_URL = env.str("N8N_RENDER_WORKFLOW_URL", default="")
# The render cap the workflow is told (and the render hold covers): minutes of rendering at most.
N8N_RENDER_MAX_MINUTES = env.int("N8N_RENDER_MAX_MINUTES", default=10)
N8N_WEBHOOK_URL = env.str("N8N_WEBHOOK_URL", default="http://localhost:8000/api/v1/webhooks/n8n")
N8N_WEBHOOK_SECRET = env.str("N8N_WEBHOOK_SECRET", default="")
WEBHOOK_TOLERANCE_SECONDS = env.int("WEBHOOK_TOLERANCE_SECONDS", default=5 * 60)
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=256 * 1024)

# --- Storage ---------------------------------------------------------------------
STORAGE_BASE_PATH = Path(env.str("STORAGE_BASE_PATH", default=str(BASE_DIR / "var" / "media")))
# A render over MAX_FILE_SIZE_MB fails its video (file_too_large). The daily purge (videos.retention,
# `manage.py purge_media`) deletes a published video's files VIDEO_RETENTION_DAYS after publishing
# (its thumbnail after THUMBNAIL_RETENTION_DAYS), a failed/cancelled one's VIDEO_RETENTION_DAYS after
# it stopped, and orphans; never those of a video in progress. Seed Appendix A's defaults.
MAX_FILE_SIZE_MB = env.int("MAX_FILE_SIZE_MB", default=1000)
VIDEO_RETENTION_DAYS = env.int("VIDEO_RETENTION_DAYS", default=7)
THUMBNAIL_RETENTION_DAYS = env.int("THUMBNAIL_RETENTION_DAYS", default=30)

# --- Monitoring ------------------------------------------------------------------
ENABLE_METRICS = env.bool("ENABLE_METRICS", default=True)
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
SLOW_REQUEST_SECONDS = env.float("SLOW_REQUEST_SECONDS", default=1.0)
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
PROMETHEUS_EXPORT_MIGRATIONS = False
# Multiprocess metrics (README "Metrics"): with this set in the process environment before it starts,
# every process (gunicorn workers; the Celery worker's pool, in its own directory) files its counters and
# histograms there and a scrape sums them. Empty (`make run`): one process, its own registry.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR:
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
# The Celery worker's own /metrics (its events; the business gauges are the web's). 0: not served.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
WORKER_METRICS_ADDR = env.str("WORKER_METRICS_ADDR", default="127.0.0.1")

# --- Sentry (seed Appendix A: SENTRY_DSN) -----------------------------------------
# Off unless SENTRY_DSN is set. No personal data is sent, and every event goes through the logs'
# secret redaction (plus email addresses) first: ytempire.core.logging.sentry_before_send.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default=ENVIRONMENT)
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default=f"ytempire@{VERSION}")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        send_default_pii=False,
        before_send=sentry_before_send,
        before_send_transaction=sentry_before_send,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# --- Admin (django-unfold): the operations console ------------------------------
UNFOLD = {
    "SITE_TITLE": "YTEMPIRE operations",
    "SITE_HEADER": "YTEMPIRE",
    "SITE_SUBHEADER": "Operations console",
    "SITE_SYMBOL": "smart_display",
    "SITE_FAVICONS": [{"rel": "icon", "type": "image/svg+xml", "href": "ytempire.ops.navigation.favicon_url"}],
    "DASHBOARD_CALLBACK": "ytempire.ops.dashboard.dashboard_callback",
    "SIDEBAR": {"show_search": True, "show_all_applications": True, "navigation": "ytempire.ops.navigation.sidebar"},
}

# --- CORS / i18n / static -------------------------------------------------------
BACKEND_CORS_ORIGINS = env.list("BACKEND_CORS_ORIGINS", default=["http://localhost:3000"])
CORS_ALLOWED_ORIGINS = BACKEND_CORS_ORIGINS
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["X-Request-ID", "X-Process-Time", "Retry-After"]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "ytempire.core.logging.RequestContextFilter"},
    },
    "formatters": {
        "json": {"()": "ytempire.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_context"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # Our middleware writes one structured line per request; silence Django's duplicate.
        "django.request": {"level": "ERROR"},
        "celery": {"level": LOG_LEVEL},
    },
}
