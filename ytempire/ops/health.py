"""Health checks: cheap liveness and a detailed readiness report.

The detailed report has the seed's shape (§15.3) first: ``{"status", "components": {"database",
"redis", "youtube_accounts": "N/15 active"}}``, each component a short string ("healthy",
"unhealthy: <error class>"); the richer per-check detail stays under ``checks``.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connections

from youtube_pool.selectors import account_pool_summary
from ytempire.celery import app as celery_app

logger = logging.getLogger(__name__)

HEALTHY = "healthy"


def _check_database() -> dict[str, Any]:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"status": "ok", "vendor": connections["default"].vendor}
    except Exception as exc:  # any driver error means "down"
        logger.error("health: database unreachable", extra={"error": exc.__class__.__name__})
        return {"status": "down", "error": exc.__class__.__name__}


def _cache_is_redis() -> bool:
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()


def _check_cache() -> dict[str, Any]:
    kind = "redis" if _cache_is_redis() else "local-memory"
    try:
        cache = caches["default"]
        cache.set("health:ping", "1", timeout=5)
        ok = cache.get("health:ping") == "1"
        return {"status": "ok" if ok else "degraded", "backend": kind}
    except Exception as exc:
        return {"status": "down", "backend": kind, "error": exc.__class__.__name__}


def _check_broker() -> dict[str, Any]:
    url = str(settings.CELERY_BROKER_URL)
    scheme = url.split("://", 1)[0]
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "ok", "transport": "eager (in-process)"}
    if scheme in ("filesystem", "memory"):
        return {"status": "ok", "transport": f"{scheme} (no broker server)"}
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"status": "ok", "transport": scheme}
    except Exception as exc:
        return {"status": "down", "transport": scheme, "error": exc.__class__.__name__}


def _youtube_accounts() -> dict[str, Any]:
    try:
        return account_pool_summary()
    except Exception as exc:
        return {"status": "unknown", "error": exc.__class__.__name__}


def providers_report() -> dict[str, str]:
    """Which external providers are real and which are offline sandboxes."""
    mode = settings.PROVIDERS_MODE
    return dict.fromkeys(("script", "voice", "render", "upload"), mode)


def _component(check: dict[str, Any]) -> str:
    if check["status"] == "ok":
        return HEALTHY
    return f"unhealthy: {check.get('error') or check['status']}"


def _components(checks: dict[str, Any], youtube_accounts: dict[str, Any]) -> dict[str, str]:
    """The seed's component strings (the error class only: a driver message can name hosts)."""
    redis = _component(checks["cache"]) if _cache_is_redis() else "not configured (local-memory cache)"
    if "summary" in youtube_accounts:
        accounts = youtube_accounts["summary"]
    else:
        accounts = f"error: {youtube_accounts.get('error') or 'database unavailable'}"
    return {
        "database": _component(checks["database"]),
        "redis": redis,
        "youtube_accounts": accounts,
        "broker": _component(checks["broker"]),
    }


def health_detailed() -> tuple[dict[str, Any], bool]:
    """Return the report and whether the service is healthy (the database is the hard dependency)."""
    database = _check_database()
    checks = {
        "database": database,
        "cache": _check_cache(),
        "broker": _check_broker(),
    }
    healthy = database["status"] == "ok"
    youtube_accounts = _youtube_accounts() if healthy else {"status": "unknown"}
    if not healthy:
        status = "unhealthy"
    elif all(c["status"] == "ok" for c in checks.values()):
        status = "healthy"
    else:
        status = "degraded"
    report = {
        "status": status,
        "components": _components(checks, youtube_accounts),
        "service": f"{settings.PROJECT_NAME} API",
        "version": settings.VERSION,
        "environment": settings.ENVIRONMENT,
        "checks": checks,
        "youtube_accounts": youtube_accounts,
        "providers": providers_report(),
        "sandbox": settings.PROVIDERS_MODE == "sandbox",
    }
    return report, healthy
