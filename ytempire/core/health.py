"""Health checks: cheap liveness and a detailed readiness report."""

import logging
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connections

logger = logging.getLogger(__name__)


def _check_database() -> dict[str, Any]:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"status": "ok", "vendor": connections["default"].vendor}
    except Exception as exc:  # any driver error means "down"
        logger.error("health: database unreachable", extra={"error": exc.__class__.__name__})
        return {"status": "down", "error": exc.__class__.__name__}


def _check_cache() -> dict[str, Any]:
    backend = settings.CACHES["default"]["BACKEND"]
    kind = "redis" if "redis" in backend.lower() else "local-memory"
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
    from ytempire.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"status": "ok", "transport": scheme}
    except Exception as exc:
        return {"status": "down", "transport": scheme, "error": exc.__class__.__name__}


def _youtube_accounts() -> dict[str, Any]:
    from youtube_pool.selectors import account_pool_summary

    try:
        return account_pool_summary()
    except Exception as exc:
        return {"status": "unknown", "error": exc.__class__.__name__}


def providers_report() -> dict[str, str]:
    """Which external providers are real and which are offline sandboxes."""
    mode = settings.PROVIDERS_MODE
    return dict.fromkeys(("script", "voice", "render", "upload"), mode)


def health_detailed() -> tuple[dict[str, Any], bool]:
    """Return the report and whether the service is healthy (the database is the hard dependency)."""
    database = _check_database()
    checks = {
        "database": database,
        "cache": _check_cache(),
        "broker": _check_broker(),
    }
    healthy = database["status"] == "ok"
    report = {
        "status": "healthy"
        if healthy and all(c["status"] == "ok" for c in checks.values())
        else ("degraded" if healthy else "unhealthy"),
        "service": settings.PROJECT_NAME,
        "version": settings.VERSION,
        "environment": settings.ENVIRONMENT,
        "checks": checks,
        "youtube_accounts": _youtube_accounts() if healthy else {"status": "unknown"},
        "providers": providers_report(),
        "sandbox": settings.PROVIDERS_MODE == "sandbox",
    }
    return report, healthy
