"""Measure the API's hot read paths on generated data: latency, queries and memory per request.

Speed and memory targets are checked here, not in timed tests. Everything the command creates
lives in one transaction that is rolled back at the end, so it can run against any database.
"""

import statistics
import time
import tracemalloc
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext


class _RollbackError(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark list/detail endpoints (p50/p95 ms, queries, peak KiB) on generated data; rolls back."

    def add_arguments(self, parser):
        parser.add_argument("--channels", type=int, default=500)
        parser.add_argument("--videos-per-channel", type=int, default=20)
        parser.add_argument("--requests", type=int, default=30, help="timed requests per endpoint")
        parser.add_argument("--p95-target-ms", type=float, default=500.0, help="the seed's p95 target")
        parser.add_argument("--memory-target-kib", type=float, default=8192.0, help="peak Python memory per request")
        parser.add_argument("--check", action="store_true", help="exit non-zero when a target is missed")

    def handle(self, *args, **options):
        results: list[tuple] = []
        try:
            with transaction.atomic():
                endpoints = self._seed(options["channels"], options["videos_per_channel"])
                results = self._measure(endpoints, options["requests"])
                raise _RollbackError
        except _RollbackError:
            pass
        self._report(results, options)

    def _seed(self, n_channels: int, per_channel: int) -> list[tuple[str, str, dict]]:
        from accounts.models import User
        from accounts.tokens import tokens_for
        from channels.models import Channel
        from costs.models import VideoCost
        from videos.models import Video, VideoEvent

        started = time.perf_counter()
        owner = User.objects.create_user(email=f"bench-{uuid.uuid4().hex[:8]}@bench.invalid", password=None)
        channels = Channel.objects.bulk_create(
            Channel(user=owner, name=f"Bench channel {i}", niche=f"niche-{i % 25}", status="active")
            for i in range(n_channels)
        )
        statuses = ["queued", "processing", "ready", "published", "failed"]
        videos = Video.objects.bulk_create(
            Video(channel=channel, title=f"Bench video {c}-{v}", status=statuses[v % len(statuses)])
            for c, channel in enumerate(channels)
            for v in range(per_channel)
        )
        sample = videos[len(videos) // 2]
        VideoEvent.objects.bulk_create(VideoEvent(video=sample, to_status="queued", reason=f"e{i}") for i in range(20))
        VideoCost.objects.bulk_create(
            VideoCost(video=sample, service="openai", amount=Decimal("0.0100"), budget_date=sample.created_at.date())
            for _ in range(10)
        )
        self.stdout.write(
            f"seeded {len(channels)} channels and {len(videos)} videos in {time.perf_counter() - started:.1f}s"
        )
        auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens_for(owner)['access_token']}"}
        return [
            ("channel list (100/page)", "/api/v1/channels?limit=100", auth),
            ("channel list filtered", "/api/v1/channels?limit=50&niche=niche-3&status=active", auth),
            ("channel detail", f"/api/v1/channels/{channels[0].pk}", auth),
            ("video list (100/page)", "/api/v1/videos?limit=100", auth),
            ("video list by channel", f"/api/v1/videos?channel_id={channels[1].pk}&status=published", auth),
            ("video detail (+events)", f"/api/v1/videos/{sample.pk}", auth),
            ("video cost ledger", f"/api/v1/costs/videos/{sample.pk}", auth),
            ("cost summary", "/api/v1/costs/summary", auth),
        ]

    def _measure(self, endpoints, n: int) -> list[tuple]:
        rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/min")
        client = Client()
        results = []
        with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
            for label, path, headers in endpoints:
                for _ in range(3):  # warm caches and code paths
                    response = client.get(path, **headers)
                if response.status_code != 200:
                    raise CommandError(f"{label}: {path} answered {response.status_code}: {response.content[:200]}")
                timings, queries, peaks = [], [], []
                for _ in range(n):
                    tracemalloc.start()
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        client.get(path, **headers)
                        timings.append((time.perf_counter() - started) * 1000)
                    peaks.append(tracemalloc.get_traced_memory()[1] / 1024)
                    tracemalloc.stop()
                    queries.append(len(captured))
                timings.sort()
                p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
                results.append((label, statistics.median(timings), p95, max(queries), max(peaks)))
        return results

    def _report(self, results, options) -> None:
        self.stdout.write(f"{'endpoint':28} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'peak KiB':>9}")
        missed = []
        for label, p50, p95, queries, peak in results:
            self.stdout.write(f"{label:28} {p50:8.1f} {p95:8.1f} {queries:8d} {peak:9.0f}")
            if p95 > options["p95_target_ms"] or peak > options["memory_target_kib"]:
                missed.append(label)
        target = f"targets: p95 <= {options['p95_target_ms']:.0f} ms, peak <= {options['memory_target_kib']:.0f} KiB"
        if missed:
            message = f"{target}; missed by: {', '.join(missed)}"
            if options["check"]:
                raise CommandError(message)
            self.stdout.write(self.style.WARNING(message))
        else:
            self.stdout.write(self.style.SUCCESS(f"{target}: all met"))
