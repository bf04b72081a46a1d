import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from accounts.checks import ensure_token_settings_safe
from ytempire.core.settings_checks import production_settings_problems

BASE_DIR = Path(__file__).resolve().parents[3]


# --- health ------------------------------------------------------------------------


@pytest.mark.django_db
def test_root_is_the_seed_shape(api_client, settings):
    response = api_client.get("/")

    assert response.status_code == 200
    assert response.json() == {"service": "YTEMPIRE API", "version": settings.VERSION, "status": "operational"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health", "/api/v1/health", "/api/v1/health/"])
def test_liveness_endpoints(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"  # the seed's {"status": "healthy"}, extra keys kept
    assert body["service"] == "YTEMPIRE API"
    assert response["Content-Type"] == "application/json"
    refused = api_client.post(path)  # only GET/HEAD take the short way; the rest is DRF's
    assert refused.status_code == 405 and refused.json()["detail"] == 'Method "POST" not allowed.'


@pytest.mark.django_db
def test_detailed_health_reports_every_dependency(api_client):
    response = api_client.get("/api/v1/health/detailed")

    assert response.status_code == 200
    body = response.json()
    # Seed §15.3, to the letter: status plus one string per component.
    assert body["status"] == "healthy"
    assert body["components"]["database"] == "healthy"
    assert body["components"]["redis"] == "healthy"
    assert body["components"]["youtube_accounts"] == "0/15 active"
    assert body["checks"]["database"] == {"status": "ok", "vendor": "postgresql"}
    assert body["checks"]["cache"]["status"] == "ok"
    assert body["checks"]["cache"]["backend"] == "redis"
    assert body["youtube_accounts"]["summary"].endswith("/15 active")
    assert body["sandbox"] is True
    assert set(body["providers"]) >= {"script", "voice", "render", "upload"}


@pytest.mark.django_db(transaction=True)
def test_detailed_health_is_503_when_the_database_is_down(api_client):
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"
    try:
        response = api_client.get("/api/v1/health/detailed")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"]["status"] == "down"
    assert body["components"]["database"] == "unhealthy: OperationalError"
    assert body["components"]["youtube_accounts"].startswith("error: ")
    # Liveness does not touch the database.
    connection.settings_dict["PORT"] = "1"
    try:
        assert api_client.get("/api/v1/health").status_code == 200
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port


@pytest.mark.django_db
def test_metrics_are_open_to_allowed_addresses_and_staff_only(client, settings, staff_user, user):
    settings.METRICS_ALLOWED_IPS = ["10.1.1.1"]
    assert client.get("/api/v1/metrics", REMOTE_ADDR="10.9.9.9").status_code == 403
    allowed = client.get("/api/v1/metrics", REMOTE_ADDR="10.1.1.1")
    assert allowed.status_code == 200
    assert b'django_http_responses_total_by_status_view_method_total{method="GET",status="403",view="metrics"}' in (
        allowed.content
    )
    assert b"django_http_requests_latency_seconds_by_view_method_bucket" in allowed.content
    client.force_login(user)
    assert client.get("/api/v1/metrics", REMOTE_ADDR="10.9.9.9").status_code == 403
    client.force_login(staff_user)
    assert client.get("/api/v1/metrics", REMOTE_ADDR="10.9.9.9").status_code == 200


# --- OpenAPI -------------------------------------------------------------------------


@pytest.mark.django_db
def test_openapi_schema_documents_the_auth_endpoints(api_client):
    response = api_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in ("/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/me"):
        assert any(p.rstrip("/") == path for p in paths), path
    login = next(v for p, v in paths.items() if p.rstrip("/") == "/api/v1/auth/login")["post"]
    assert {"200", "401", "429"} <= set(login["responses"])
    assert api_client.get("/api/v1/docs").status_code == 200


# --- admin -------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_pages_load_for_staff(client, staff_user):
    from django.contrib import admin

    client.force_login(staff_user)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"ytempire-operations" in index.content  # templates/admin/index.html: the operations panel
    assert reverse("admin:costs_videocost_report").encode() in index.content
    for model in admin.site._registry:
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        assert client.get(changelist, {"q": "x"}).status_code == 200, changelist


@pytest.mark.django_db
def test_admin_refuses_non_staff(client, user):
    client.force_login(user)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- settings safety ----------------------------------------------------------------


def test_production_settings_problems_lists_every_unsafe_value():
    problems = production_settings_problems(
        {
            "DEBUG": True,
            "SECRET_KEY": "short",
            "INSECURE_DEFAULT_SECRET_KEY": "django-insecure-x",
            "JWT_SIGNING_KEY": "insecure-local",
            "ALLOWED_HOSTS": [],
        }
    )
    assert len(problems) == 4
    safe = production_settings_problems(
        {
            "DEBUG": False,
            "SECRET_KEY": "k" * 10 + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
            "JWT_SIGNING_KEY": "another-long-signing-key-0123456789abcdef",
            "ALLOWED_HOSTS": ["api.example.com"],
        }
    )
    assert safe == []


def _import_production(**env):
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "JWT_SIGNING_KEY"}
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="ytempire.settings.production", ENV_FILE="/nonexistent")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


GOOD_SECRET = "prod-" + "s3cr3t-value-with-enough-entropy-" * 2
GOOD_JWT = "jwt-" + "another-signing-key-value-" * 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "True", "SECRET_KEY": GOOD_SECRET, "JWT_SIGNING_KEY": GOOD_JWT, "ALLOWED_HOSTS": "a.com"}, "DEBUG"),
        ({"SECRET_KEY": "short", "JWT_SIGNING_KEY": GOOD_JWT, "ALLOWED_HOSTS": "a.com"}, "SECRET_KEY"),
        ({"JWT_SIGNING_KEY": GOOD_JWT, "ALLOWED_HOSTS": "a.com"}, "SECRET_KEY is the development default"),
        ({"SECRET_KEY": GOOD_SECRET, "JWT_SIGNING_KEY": GOOD_JWT}, "ALLOWED_HOSTS"),
    ],
)
def test_production_settings_refuse_to_start_when_unsafe(env, message):
    result = _import_production(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_settings_start_when_safe():
    result = _import_production(SECRET_KEY=GOOD_SECRET, JWT_SIGNING_KEY=GOOD_JWT, ALLOWED_HOSTS="api.example.com")
    assert result.returncode == 0, result.stderr


def test_rotation_without_blacklist_refuses_to_start():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        ensure_token_settings_safe({"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": False}, installed=True)
    with pytest.raises(ImproperlyConfigured):
        ensure_token_settings_safe({"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}, installed=False)
    ensure_token_settings_safe({"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}, installed=True)


# --- schedules -----------------------------------------------------------------------


@pytest.mark.django_db
def test_schedules_are_upserted_and_keep_staff_choices():
    from django_celery_beat.models import PeriodicTask

    from ytempire.celery import app
    from ytempire.schedules import SCHEDULES, setup_periodic_tasks

    setup_periodic_tasks()
    app.loader.import_default_modules()  # what a worker does at start: autodiscover every tasks.py
    assert {s.name for s in SCHEDULES} >= {
        "youtube-quota-reset",
        "videos: dispatch waiting videos",
        "videos: sweep stuck videos",
        "videos: channel automation",
    }
    for schedule in SCHEDULES:
        task = PeriodicTask.objects.get(name=schedule.name)
        assert task.task == schedule.task
        assert schedule.task in app.tasks, f"{schedule.task} is scheduled but not registered"
    if SCHEDULES:
        first = PeriodicTask.objects.get(name=SCHEDULES[0].name)
        first.enabled = False
        first.save()
        setup_periodic_tasks()
        first.refresh_from_db()
        assert first.enabled is False


@pytest.mark.django_db
def test_migrate_upserts_the_schedules():
    """What `migrate` sends at its end creates every schedule (Django sends post_migrate only for
    apps with models, so the receiver listens to django-celery-beat's)."""
    from django.core.management.sql import emit_post_migrate_signal
    from django_celery_beat.models import PeriodicTask

    from ytempire.schedules import SCHEDULES

    PeriodicTask.objects.all().delete()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert set(PeriodicTask.objects.values_list("name", flat=True)) >= {s.name for s in SCHEDULES}
