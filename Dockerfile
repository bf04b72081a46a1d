# Production image: gunicorn serving the Django app; the same image runs the Celery worker and beat.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=ytempire.settings.production

WORKDIR /app
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 ytempire

COPY requirements/ requirements/
RUN pip install -r requirements/prod.txt

COPY --chown=ytempire:ytempire . .
# collectstatic needs importable settings; these build-time values never reach a container.
RUN SECRET_KEY=build-only-$(head -c 32 /dev/urandom | base64 | tr -d '/+=') \
    JWT_SIGNING_KEY=build-only-$(head -c 32 /dev/urandom | base64 | tr -d '/+=') \
    ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var && chown -R ytempire:ytempire /app/var

USER ytempire
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD curl -fsS http://127.0.0.1:8000/health || exit 1
CMD ["gunicorn", "ytempire.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-", "--timeout", "60"]
