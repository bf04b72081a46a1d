import copy
import threading

import pytest
from django.db import connection

from costs.services import ledger


@pytest.fixture(autouse=True)
def _not_degraded():
    """Each test starts with the Redis path trusted (a previous fallback test may have set it)."""
    ledger._degraded.clear()
    yield
    ledger._degraded.clear()


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
    ledger._degraded.clear()


# PostgreSQL is shared (max_connections 100 for everyone's test runs): at most this many
# threads hold a database connection at once. All threads are still released together and
# race on the Redis script and the row locks.
DB_SLOTS = 20


def run_together(n: int, work, *, db_slots: int = DB_SLOTS) -> list:
    """Run ``work(i)`` in ``n`` real threads released at once by a barrier; returns results in order.

    Each result is the return value or the exception raised. Threads close their database
    connections before giving up their slot.
    """
    barrier = threading.Barrier(n)
    slots = threading.BoundedSemaphore(db_slots)
    results: list = [None] * n

    def target(i: int) -> None:
        try:
            barrier.wait()
            with slots:
                try:
                    results[i] = work(i)
                finally:
                    connection.close()
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Call a service and run its on_commit callbacks (the test's transaction never commits)."""

    def call(fn, /, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return call
