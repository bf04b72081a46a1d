"""Test helpers shared by the apps' test suites."""

import threading

from django.db import connection


def race(target, count: int, *, timeout: float = 30) -> list:
    """Run ``target`` in ``count`` threads released together by a barrier, as concurrent
    requests or workers would. Returns each thread's result, or the exception it raised.
    Each thread closes its own database connection. Use with django_db(transaction=True)."""
    barrier = threading.Barrier(count)
    results: list = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait(timeout=10)
            outcome = target()
        except Exception as exc:
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
