# Production image: gunicorn serving the Django app; the same image runs the Celery worker and beat.
# What goes into the build context is filtered by .dockerignore (no .env, .venv, var/, .git, caches).
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=ytempire.settings.production \
    STORAGE_BASE_PATH=/data/media

WORKDIR /app
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 ytempire

COPY requirements/ requirements/
RUN pip install -r requirements/prod.txt

# The code stays owned by root (the app user can read it, not rewrite it); only var/ and the
# media folder are the app user's.
COPY . .
# collectstatic needs importable settings; these build-time values never reach a container.
RUN SECRET_KEY=build-only-$(head -c 32 /dev/urandom | base64 | tr -d '/+=') \
    JWT_SIGNING_KEY=build-only-$(head -c 32 /dev/urandom | base64 | tr -d '/+=') \
    ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var \
    && chown -R ytempire:ytempire /app/var

# Media (STORAGE_BASE_PATH): created owned by uid 1000 *before* VOLUME, so a fresh named volume
# mounted here (docker-compose.yml's `media`) starts with that ownership and the app can write.
RUN mkdir -p /data/media && chown ytempire:ytempire /data/media
VOLUME ["/data/media"]

USER ytempire
# 8000: gunicorn (/api/v1/metrics among the rest); 9808: a Celery worker's own metrics (WORKER_METRICS_PORT).
EXPOSE 8000 9808
# Role-aware: gunicorn answers /health; in a worker or beat container the same script pings
# that Celery node instead (see deploy/healthcheck.sh). docker-compose.yml names the role.
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
    CMD ["sh", "/app/deploy/healthcheck.sh", "auto"]
# deploy/gunicorn.conf.py: :8000, 4 workers (WEB_CONCURRENCY), Prometheus multiprocess housekeeping.
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "ytempire.wsgi:application"]
