"""Project-wide test fixtures. Tests run against the real PostgreSQL and Redis."""

import os

import pytest


def pytest_configure(config):
    """Fail fast, in one line, when PostgreSQL or Redis cannot be reached."""
    import psycopg
    import redis
    from django.conf import settings

    db = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=db.get("HOST") or "127.0.0.1",
            port=db.get("PORT") or 5432,
            user=db.get("USER") or "postgres",
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except Exception as exc:
        pytest.exit(
            f"PostgreSQL is not reachable at {db.get('HOST')}:{db.get('PORT')} ({exc.__class__.__name__}): "
            "start it or set DATABASE_URL",
            returncode=3,
        )
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.exit(
            f"Redis is not reachable at {settings.REDIS_URL} ({exc.__class__.__name__}): start it or set REDIS_URL",
            returncode=3,
        )


@pytest.fixture(autouse=True)
def _clean_redis():
    """Each test starts with an empty key space (only this run's prefix, never FLUSHDB)."""
    from django.core.cache import caches

    for alias in ("default", "counters"):
        caches[alias].delete_pattern("*")
    yield


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.STORAGE_BASE_PATH = tmp_path / "media"
    os.makedirs(settings.STORAGE_BASE_PATH, exist_ok=True)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def platform_admin(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(role="admin")


@pytest.fixture
def staff_user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(is_staff=True, is_superuser=True, role="admin")


def _client_for(user):
    from rest_framework.test import APIClient

    from accounts.tokens import tokens_for

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access_token']}")
    client.user = user
    return client


@pytest.fixture
def auth_client(user):
    """An API client authenticated as ``user`` with a real JWT."""
    return _client_for(user)


@pytest.fixture
def other_client(other_user):
    return _client_for(other_user)


@pytest.fixture
def admin_client_api(platform_admin):
    return _client_for(platform_admin)


@pytest.fixture
def client_for():
    return _client_for
