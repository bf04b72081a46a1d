"""Test settings: real PostgreSQL and Redis (URLs from the environment, local defaults)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ytempire")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
# Tasks run in-process (eager) except in the real-worker tests, which use this Redis broker.
os.environ.setdefault("CELERY_BROKER_URL", os.environ["REDIS_URL"])

from .base import *  # noqa: E402,F401,F403
from .base import CACHE_KEY_PREFIX, CACHES, CELERY_BROKER_TRANSPORT_OPTIONS, DATABASES, REST_FRAMEWORK  # noqa: E402

DEBUG = False
# Fast hashing keeps auth tests quick; production uses PBKDF2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CREDENTIALS_ALLOW_DEV_KEY = True
CELERY_TASK_EAGER_PROPAGATES = True
# Each xdist worker (and each developer checkout) gets its own Redis key space.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
for _alias, _cache in CACHES.items():
    _cache["KEY_PREFIX"] = f"test:{CACHE_KEY_PREFIX}:{_worker}:{_alias}"
DATABASES["default"]["CONN_MAX_AGE"] = 0
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "global_keyprefix": f"test:{CACHE_KEY_PREFIX}:{_worker}:celery:",
}
REST_FRAMEWORK = {**REST_FRAMEWORK}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
