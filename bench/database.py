"""The bench's own PostgreSQL database (BENCH_DB_URL) and Redis keys: create, migrate, seed once,
reuse while the seed still fits, and clean up after a run."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from .constants import REDIS_KEY_PATTERN
from .seed import SEED_VERSION, SeedParams, seed

MARKER_TABLE = "bench_seed"


def _admin_connection() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    )


def database_name() -> str:
    name = settings.DATABASES["default"]["NAME"]
    if "bench" not in name:
        raise RuntimeError(f"refusing to use database {name!r}: the bench database's name must contain 'bench'")
    return name


def create_database(*, drop: bool = False) -> bool:
    """Create the bench database (dropping it first when ``drop``); True when it was created."""
    name = database_name()
    connections.close_all()
    with _admin_connection() as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and drop:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
            return True
    return False


def migrations_fingerprint() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        rows = cursor.fetchall()
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def _ensure_marker_table(cursor) -> None:
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (id int PRIMARY KEY, info jsonb, seeded_at timestamptz)")


def _marker() -> dict | None:
    with connection.cursor() as cursor:
        _ensure_marker_table(cursor)
        cursor.execute(f"SELECT info, seeded_at FROM {MARKER_TABLE} WHERE id = 1")  # noqa: S608 - a constant
        row = cursor.fetchone()
    if row is None:
        return None
    info = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    return {**info, "seeded_at": row[1]}


def _write_marker(info: dict, seeded_at: datetime) -> None:
    with connection.cursor() as cursor:
        _ensure_marker_table(cursor)
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608 - a constant
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (id, info, seeded_at) VALUES (1, %s, %s)",  # noqa: S608 - a constant
            [json.dumps(info), seeded_at],
        )


def _migrate() -> None:
    call_command("migrate", interactive=False, verbosity=0)


def ensure_seeded(params: SeedParams, *, force: bool = False, log=print) -> dict:
    """Create, migrate and seed the bench database unless it already holds a seed of ``params``
    from today (UTC) under the same seed version and migrations. Returns the marker
    (``seeded_at``, ``params``, ``rows``, ``notes``, ``seed_seconds``, ``reused``)."""
    created = create_database()
    _migrate()
    wanted = {
        "version": SEED_VERSION,
        "params": params.as_dict(),
        "migrations": migrations_fingerprint(),
        "day": timezone.now().astimezone(UTC).date().isoformat(),
    }
    marker = None if created else _marker()
    if not force and marker and all(marker.get(k) == v for k, v in wanted.items()):
        return {**marker, "reused": True}
    if marker is not None or not created:
        why = "forced" if force else ("no seed" if marker is None else "the seed does not match")
        log(f"re-creating the bench database ({why})")
        create_database(drop=True)
        _migrate()
        wanted["migrations"] = migrations_fingerprint()
    summary = seed(params, log=log)
    seeded_at = timezone.now()
    info = {**wanted, "rows": summary.rows, "notes": summary.notes, "seed_seconds": round(summary.seconds, 1)}
    _write_marker(info, seeded_at)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {**info, "seeded_at": seeded_at, "reused": False}


def flush_redis() -> int:
    """Delete the bench's keys (cache prefixes and Celery's) from the bench Redis database."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    removed = 0
    batch = []
    for key in client.scan_iter(match=REDIS_KEY_PATTERN, count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            removed += client.delete(*batch)
            batch = []
    if batch:
        removed += client.delete(*batch)
    return removed


def reset_run_artifacts(*, seeded_at: datetime) -> dict[str, int]:
    """Remove what benchmark runs wrote after the seed (generated videos and their rows, holds,
    ledger rows, progress events, webhook deliveries, logins) and zero the YouTube counters, so
    every run starts from the same data."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from accounts.models import RefreshTokenFamily
    from costs.models import Reservation
    from videos.models import Video, VideoEvent
    from webhooks.models import WebhookEvent
    from youtube_pool.models import GoogleProject, YouTubeAccount

    removed: dict[str, int] = {}
    with transaction.atomic():
        removed["videos"] = Video.objects.filter(created_at__gt=seeded_at).delete()[0]
        removed["reservations"] = Reservation.objects.filter(created_at__gt=seeded_at).delete()[0]
        with connection.cursor() as cursor:
            # The ledger refuses deletes through the ORM (append-only); these rows are the bench's own.
            cursor.execute("DELETE FROM video_costs WHERE timestamp > %s", [seeded_at])
            removed["video_costs"] = cursor.rowcount
        removed["video_events"] = VideoEvent.objects.filter(at__gt=seeded_at).delete()[0]
        removed["webhook_events"] = WebhookEvent.objects.all().delete()[0]
        removed["tokens"] = OutstandingToken.objects.filter(created_at__gt=seeded_at).delete()[0]
        removed["token_families"] = RefreshTokenFamily.objects.filter(created_at__gt=seeded_at).delete()[0]
        YouTubeAccount.objects.update(uploads_today=0, quota_used_today=0)
        GoogleProject.objects.update(uploads_used=0, units_used=0, searches_used=0)
    return {name: n for name, n in removed.items() if n}
