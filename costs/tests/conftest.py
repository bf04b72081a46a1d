import copy

import pytest

from costs.services import counter_sync


@pytest.fixture(autouse=True)
def _not_degraded():
    """Each test starts with the Redis path trusted (a previous fallback test may have set it)."""
    counter_sync._degraded.clear()
    yield
    counter_sync._degraded.clear()


@pytest.fixture
def video(db):
    from costs.tests.factories import VideoFactory

    return VideoFactory()


@pytest.fixture
def redis_down(settings):
    """Point the counters cache at a closed port: every Redis call fails to connect."""
    caches = copy.deepcopy(settings.CACHES)
    caches["counters"]["LOCATION"] = "redis://127.0.0.1:1/0"
    settings.CACHES = caches
    yield
    counter_sync._degraded.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Call a service and run its on_commit callbacks (the test's transaction never commits)."""

    def call(fn, /, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return call
