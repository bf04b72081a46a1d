"""Test helpers shared by the apps' test suites."""

import threading

from django.db import connection


def race(target, count: int, *, timeout: float = 120, indexed: bool = False, db_slots: int | None = None) -> list:
    """Run ``target`` in ``count`` threads released together by a barrier, as concurrent requests
    or workers would. Returns each thread's result (or the exception it raised), in thread order.

    ``indexed=True`` calls ``target(i)`` with the thread's index. ``db_slots`` caps how many
    threads hold a database connection at once (PostgreSQL's max_connections is shared); all
    threads are still released together and race on Redis scripts and row locks. Each thread
    closes its own database connection. Use with django_db(transaction=True).
    """
    barrier = threading.Barrier(count)
    slots = threading.BoundedSemaphore(db_slots) if db_slots else None
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            if slots is not None:
                slots.acquire()
            try:
                results[i] = target(i) if indexed else target()
            finally:
                connection.close()
                if slots is not None:
                    slots.release()
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
