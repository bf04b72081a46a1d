"""Measure the analytics endpoints on a generated business: latency (p50/p95), queries per request.

Issue 12's target: p95 <= 100 ms on 500 channels and 100,000 videos. Checked here, not in timed
tests. Everything the command creates lives in one transaction that is rolled back at the end,
so it can run against any database (PostgreSQL is the one that counts).
"""

import datetime as dt
import random
import statistics
import time
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import F
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tokens import tokens_for
from analytics.models import ChannelStatsSnapshot
from analytics.rollups import rollups_rebuild
from channels.models import Channel
from costs.models import VideoCost
from videos.models import Video, VideoEvent
from youtube_pool.models import GoogleProject, YouTubeAccount

from ._progress import progress_bar


class _RollbackError(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark /api/v1/analytics/* (p50/p95 ms, queries) on generated data; everything is rolled back."

    def add_arguments(self, parser):
        parser.add_argument("--channels", type=int, default=500)
        parser.add_argument("--videos", type=int, default=100_000)
        parser.add_argument("--days", type=int, default=365, help="the videos are spread over this many days")
        parser.add_argument("--customers", type=int, default=50, help="owners of the channels")
        parser.add_argument("--requests", type=int, default=40, help="timed requests per endpoint")
        parser.add_argument("--p95-target-ms", type=float, default=100.0)
        parser.add_argument("--seed", type=int, default=12)
        parser.add_argument("--check", action="store_true", help="exit non-zero when the target is missed")
        parser.add_argument(
            "--keep",
            action="store_true",
            help="SCRATCH DATABASES ONLY: commit the generated data and VACUUM ANALYZE before measuring, as a "
            "production database is (index-only scans need the visibility map); nothing is deleted afterwards",
        )

    def handle(self, *args, **options):
        results: list[tuple] = []
        if options["keep"]:
            self.stdout.write(self.style.WARNING("--keep: the generated rows stay in this database"))
            endpoints = self._seed(options)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
            self._report(self._measure(endpoints, options["requests"]), options)
            return
        try:
            with transaction.atomic():
                endpoints = self._seed(options)
                results = self._measure(endpoints, options["requests"])
                raise _RollbackError
        except _RollbackError:
            pass
        self._report(results, options)

    # --- data -----------------------------------------------------------------------------------
    def _seed(self, options) -> list[tuple[str, str, dict]]:
        rng = random.Random(options["seed"])
        started = time.perf_counter()
        now = timezone.now()
        n_channels, n_videos, n_days = options["channels"], options["videos"], options["days"]
        tag = uuid.uuid4().hex[:8]
        customers = [
            User.objects.create_user(email=f"bench-{tag}-{i}@bench.invalid", password=None)
            for i in range(max(1, options["customers"]))
        ]
        admin = User.objects.create_user(email=f"bench-{tag}-admin@bench.invalid", password=None, role="admin")
        projects = GoogleProject.objects.bulk_create(
            GoogleProject(name=f"bench-{tag}-{i}", client_id=f"bench-{tag}-{i}.apps.googleusercontent.com")
            for i in range(max(1, n_channels // 100))
        )
        accounts = YouTubeAccount.objects.bulk_create(
            YouTubeAccount(
                project=projects[i % len(projects)],
                channel_id=f"UCbench{tag}{i:08d}",
                channel_handle=f"@bench{i}",
                uploads_today=rng.randint(0, 4),
                owner=customers[i % len(customers)] if i % 3 else None,
            )
            for i in range(n_channels)
        )
        channels = Channel.objects.bulk_create(
            Channel(
                user=customers[i % len(customers)],
                name=f"Bench channel {i}",
                niche=f"niche-{i % 25}",
                status="active",
                youtube_account=accounts[i],
                youtube_channel_id=accounts[i].channel_id,
                total_revenue_cents=rng.randint(0, 500_000) if i % 2 else None,
            )
            for i in range(n_channels)
        )
        self.stdout.write(f"seeded {len(customers)} customers, {len(channels)} channels")
        statuses = ["published"] * 85 + ["failed"] * 8 + ["cancelled"] * 4 + ["queued", "processing", "ready"]
        levels = ["economy", "standard", "standard", "premium"]
        draw = progress_bar(self, "videos")
        videos: list[Video] = []
        batch = 5_000
        for start in range(0, n_videos, batch):
            rows = []
            for i in range(start, min(start + batch, n_videos)):
                channel = channels[i % n_channels]
                created = now - dt.timedelta(seconds=rng.randint(0, n_days * 86_400))
                status = rng.choice(statuses)
                published = status == "published"
                cost = Decimal(rng.randint(20, 300)) / 100
                rows.append(
                    Video(
                        channel=channel,
                        title=f"Bench video {i}",
                        status=status,
                        optimization_level=rng.choice(levels),
                        estimated_cost=cost + Decimal("0.20"),
                        total_cost=cost,
                        published_at=min(created + dt.timedelta(hours=1), now) if published else None,
                        youtube_account_used_id=channel.youtube_account_id if published else None,
                        youtube_video_id=f"b{tag}{i:09d}" if published else None,
                        view_count=rng.randint(0, 50_000) if published else 0,
                        estimated_revenue=Decimal(rng.randint(0, 2_000)) / 100 if published and i % 2 else None,
                        queued_at=created,
                    )
                )
            created_rows = Video.objects.bulk_create(rows)
            # created_at/updated_at are automatic: move them back to when the video was made (queued_at)
            Video.objects.filter(pk__in=[video.pk for video in created_rows]).update(
                created_at=F("queued_at"), updated_at=F("queued_at")
            )
            for video in created_rows:
                video.created_at = video.queued_at
            videos.extend(created_rows)
            draw(len(videos), n_videos)
        self.stdout.write("")
        draw = progress_bar(self, "ledger")
        ledger = []
        for done, video in enumerate(videos, start=1):
            if video.status in ("published", "failed"):
                ledger.append(
                    VideoCost(
                        video=video,
                        service="openai",
                        amount=video.total_cost,
                        budget_date=video.created_at.astimezone(dt.UTC).date(),
                        timestamp=video.created_at,
                    )
                )
            if len(ledger) >= 5_000 or done == len(videos):
                # bulk_create sends no signals: the videos' total_cost was generated with them
                VideoCost.objects.bulk_create(ledger)
                ledger = []
                draw(done, len(videos))
        self.stdout.write("")
        VideoEvent.objects.bulk_create(
            VideoEvent(video=video, reason="retried by staff", data={"staff": True}) for video in videos[::200]
        )
        ChannelStatsSnapshot.objects.bulk_create(
            ChannelStatsSnapshot(
                channel=channel,
                date=(now - dt.timedelta(days=back)).date(),
                view_count=100_000 - back * 1_000 + i,
                subscriber_count=1_000 + i,
                taken_at=now,
            )
            for i, channel in enumerate(channels)
            for back in range(31)
        )
        today = now.astimezone(dt.UTC).date()
        result = rollups_rebuild(
            date_from=today - dt.timedelta(days=n_days), date_to=today, progress=progress_bar(self, "rollups")
        )
        self.stdout.write("")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE videos, video_costs, video_events, channels, youtube_accounts, "
                    "analytics_daily_channel_rollups, analytics_channel_snapshots"
                )
        self.stdout.write(
            f"seeded {len(videos)} videos, {result['rows']} rollup rows in {time.perf_counter() - started:.1f}s"
        )
        customer = customers[0]
        channel = next(c for c in channels if c.user_id == customer.pk)
        as_admin = {"HTTP_AUTHORIZATION": f"Bearer {tokens_for(admin)['access_token']}"}
        as_customer = {"HTTP_AUTHORIZATION": f"Bearer {tokens_for(customer)['access_token']}"}
        return [
            ("overview (platform)", "/api/v1/analytics/overview", as_admin),
            ("overview (customer)", "/api/v1/analytics/overview", as_customer),
            ("overview 90 days (platform)", self._range("/api/v1/analytics/overview", today, 89), as_admin),
            ("channel 30 days", f"/api/v1/analytics/channels/{channel.pk}", as_customer),
            ("channel 365 days", self._range(f"/api/v1/analytics/channels/{channel.pk}", today, 364), as_customer),
            ("videos by views (platform)", "/api/v1/analytics/videos?order=views&limit=100", as_admin),
            ("videos by cost/view (platform)", "/api/v1/analytics/videos?order=cost_per_view&limit=100", as_admin),
            ("videos by revenue (platform)", "/api/v1/analytics/videos?order=revenue&limit=100", as_admin),
            ("videos by views (customer)", "/api/v1/analytics/videos?order=views&limit=100", as_customer),
        ]

    @staticmethod
    def _range(path: str, today: dt.date, days: int) -> str:
        return f"{path}?from={(today - dt.timedelta(days=days)).isoformat()}&to={today.isoformat()}"

    # --- measure --------------------------------------------------------------------------------
    def _measure(self, endpoints, n: int) -> list[tuple]:
        rates = dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/min")
        client = Client()
        results = []
        with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
            for label, path, headers in endpoints:
                for _ in range(3):  # warm caches and code paths
                    response = client.get(path, **headers)
                if response.status_code != 200:
                    raise CommandError(f"{label}: {path} answered {response.status_code}: {response.content[:300]}")
                timings, queries = [], []
                for _ in range(n):
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        client.get(path, **headers)
                        timings.append((time.perf_counter() - started) * 1000)
                    queries.append(len(captured))
                timings.sort()
                p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
                results.append((label, statistics.median(timings), p95, max(queries), len(response.content)))
        return results

    def _report(self, results, options) -> None:
        self.stdout.write(f"{'endpoint':32} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'bytes':>9}")
        missed = []
        for label, p50, p95, queries, size in results:
            self.stdout.write(f"{label:32} {p50:8.1f} {p95:8.1f} {queries:8d} {size:9d}")
            if p95 > options["p95_target_ms"]:
                missed.append(label)
        target = f"target: p95 <= {options['p95_target_ms']:.0f} ms"
        if missed:
            message = f"{target}; missed by: {', '.join(missed)}"
            if options["check"]:
                raise CommandError(message)
            self.stdout.write(self.style.WARNING(message))
        else:
            self.stdout.write(self.style.SUCCESS(f"{target}: all met"))
