"""Benchmark settings (`make bench`, bench/): production, plus only what a measurement needs.

Everything production does stays on: DEBUG off, the production middleware, django-prometheus
metrics, one JSON log line per request, persistent connections with health checks, PBKDF2, DRF's
throttles (same classes, same windows, same cache). What changes, and why:

- Its own PostgreSQL database and Redis database (BENCH_DB_URL, BENCH_REDIS_URL), never the
  development or test ones: DATABASE_URL/REDIS_URL in the environment are ignored on purpose.
- ROOT_URLCONF = "bench.urls": the application's URLs plus two bench-only baselines (B, a function
  view returning precomputed JSON, and a view that only checks a password hash). Production's
  URLconf never exposes them.
- Throttle rates of 10^9 per window, so no request is refused while every request still runs the
  throttles' code and cache round trips.
- Access tokens live 6 hours (the harness issues them once per run; the check per request is the same).
- No TLS proxy in front: the load generators send ``X-Forwarded-Proto: https`` as production's proxy
  does, so SECURE_SSL_REDIRECT and HSTS run as in production.
- A bench-only middleware counts Django's SQL statements, but only for a request that asks for it
  (``X-Bench-Count-Queries: 1``); a measured request pays one header lookup.
- BENCH_OBSERVABILITY=off (the "B without metrics and logging" server): no django-prometheus
  middleware and no per-request log line.
"""

import os
from datetime import timedelta

_BENCH_DEFAULTS = {
    "SECRET_KEY": "bench-only-secret-key-7Qm2vXr9LpTz4KcW8nYs3HbJ6dFg1RuE5aMxZoNq0PiVtGy",
    "JWT_SIGNING_KEY": "bench-only-jwt-signing-key-u8Kd3Lq7Wz1Xc5Vb9Nm2",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "N8N_WEBHOOK_SECRET": "whsec_YmVuY2gtb25seS1uOG4tc2VjcmV0LTMyLWJ5dGVzISE=",
    "CACHE_KEY_PREFIX": "bench",
    "ENVIRONMENT": "bench",
    "LOG_LEVEL": "INFO",
    "DEBUG": "False",
}
for _name, _value in _BENCH_DEFAULTS.items():
    os.environ.setdefault(_name, _value)
# Forced, not defaulted: a developer's DATABASE_URL must never receive the bench's seed and load.
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DB_URL", "postgres://postgres@127.0.0.1:5432/ytempire_bench")
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ["CELERY_BROKER_URL"] = os.environ["REDIS_URL"]

from .production import *  # noqa: E402
from .production import CELERY_BROKER_TRANSPORT_OPTIONS, LOGGING, MIDDLEWARE, REST_FRAMEWORK, SIMPLE_JWT, env  # noqa: E402

BENCH_OBSERVABILITY = env.bool("BENCH_OBSERVABILITY", default=True)

ROOT_URLCONF = "bench.urls"

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        scope: f"{10**9}/{rate.split('/', 1)[1]}" for scope, rate in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].items()
    },
}
SIMPLE_JWT = {**SIMPLE_JWT, "ACCESS_TOKEN_LIFETIME": timedelta(hours=6)}

# Tasks queued by generate and automation wait in the bench Redis (no worker runs); the harness
# deletes every key under this prefix before and after a run.
CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": "bench:celery:"}

MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
if not BENCH_OBSERVABILITY:
    ENABLE_METRICS = False  # the HTTP metrics (ytempire.core.middleware)
    LOGGING = {**LOGGING, "loggers": {**LOGGING["loggers"], "ytempire.request": {"level": "WARNING"}}}
