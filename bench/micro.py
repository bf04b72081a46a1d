"""Service-level measurements (no HTTP): cost holds against Redis, account booking under 50
concurrent workers, one automation pass. Run by the harness in its own process (bench settings)
after the HTTP servers have stopped."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter
from decimal import Decimal

from .openloop import percentile

HOLD = Decimal("0.0001")  # the smallest hold: a run takes ~10^5 of them within the video and day limits


def _latency_summary(latencies: list[float]) -> dict:
    values = sorted(latencies)
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p95_ms": round(percentile(values, 95) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
        "max_ms": round(values[-1] * 1000, 2) if values else None,
    }


# --- cost holds -----------------------------------------------------------------------------------


def _reserve_worker(video_ids, threads, seconds, start_at, queue) -> None:  # a child process
    import django

    django.setup()
    from django.db import connection

    from costs.services import cost_reserve
    from videos.models import Video
    from ytempire.core.exceptions import ApplicationError

    videos = list(Video.objects.filter(pk__in=video_ids))
    connection.close()
    results = []

    def loop(offset: int) -> None:
        done, refused, latencies = 0, Counter(), []
        i = offset
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        while time.time() < end:
            video = videos[i % len(videos)]
            i += threads
            t0 = time.perf_counter()
            try:
                cost_reserve(video=video, service="openai", amount=HOLD, metadata={"bench": True})
                done += 1
            except ApplicationError as exc:
                refused[exc.__class__.__name__] += 1
            latencies.append(time.perf_counter() - t0)
        connection.close()
        results.append((done, dict(refused), latencies))

    workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put(results)


def reservations(*, video_ids: list, processes: int = 4, threads: int = 4, seconds: float = 5.0) -> dict:
    """``processes`` x ``threads`` callers of costs.services.cost_reserve for ``seconds``: holds per
    second (granted), refusals and per-call latency. Each call is the whole service: the video's
    status (one query), the Lua check-and-take in Redis, the reservation row (one INSERT)."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 3.0 + processes  # room for the children's django.setup()
    children = [
        context.Process(
            target=_reserve_worker,
            args=([str(v) for v in video_ids[p::processes]] or [str(video_ids[0])], threads, seconds, start_at, queue),
        )
        for p in range(processes)
    ]
    for child in children:
        child.start()
    gathered = [queue.get(timeout=seconds + 120) for _ in children]
    for child in children:
        child.join(timeout=30)
    granted, refused, latencies = 0, Counter(), []
    for per_process in gathered:
        for done, refusals, lat in per_process:
            granted += done
            refused.update(refusals)
            latencies.extend(lat)
    return {
        "callers": f"{processes} processes x {threads} threads",
        "seconds": seconds,
        "granted": granted,
        "per_second": round(granted / seconds, 1),
        "refused": dict(refused),
        **_latency_summary(latencies),
    }


# --- account booking ---------------------------------------------------------------------------


def booking(*, account_ids: list, workers: int = 50, seconds: float = 5.0) -> dict:
    """``workers`` threads, each booking an upload on the accounts in turn
    (youtube_pool.services.account_book_upload) and giving the slot back right away
    (account_release_upload_slot, not timed), for ``seconds``. Times every booking attempt,
    granted or refused (a refusal answers the same question: "can I have a slot?")."""
    from django.db import connection

    from youtube_pool.services.booking import account_book_upload, account_release_upload_slot
    from ytempire.core.exceptions import ApplicationError

    latencies: list[float] = []
    outcomes: Counter = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(workers)

    def loop(n: int) -> None:
        mine, seen = [], Counter()
        i = n
        barrier.wait()
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            account_id = account_ids[i % len(account_ids)]
            i += 1
            t0 = time.perf_counter()
            try:
                account = account_book_upload(account_id=account_id)
            except ApplicationError as exc:
                mine.append(time.perf_counter() - t0)
                seen[exc.__class__.__name__] += 1
                continue
            mine.append(time.perf_counter() - t0)
            seen["booked"] += 1
            account_release_upload_slot(account=account)
        connection.close()
        with lock:
            latencies.extend(mine)
            outcomes.update(seen)

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "workers": workers,
        "accounts": len(account_ids),
        "seconds": seconds,
        "attempts": len(latencies),
        "per_second": round(len(latencies) / seconds, 1),
        "outcomes": dict(outcomes),
        **_latency_summary(latencies),
    }


# --- automation ----------------------------------------------------------------------------------


def automation() -> dict:
    """One dry pass (plans only) and one real pass of videos.automation.automation_run, timed."""
    from django.db import connection
    from django.utils import timezone

    from videos.automation import automation_limits, automation_run

    automated = len(automation_limits(now=timezone.now()).room)  # one entry per channel automation serves
    t0 = time.perf_counter()
    dry = automation_run(dry_run=True)
    dry_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    plans = automation_run()
    seconds = time.perf_counter() - t0
    connection.close()
    return {
        "automated_channels": automated,
        "dry_run_seconds": round(dry_seconds, 3),
        "dry_run_plans": len(dry),
        "seconds": round(seconds, 3),
        "plans": len(plans),
        "videos_queued": sum(len(p.queued) for p in plans),
    }
