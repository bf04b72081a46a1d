"""Rebuilding analytics from what is stored (staff commands, not requests)."""

import datetime as dt
from collections.abc import Callable

from django.db.models import Min

from costs.models import VideoCost
from videos.models import Video

from .days import utc_today
from .models import ChannelStatsSnapshot, ChannelStatsSync, VideoStatsSnapshot
from .rollups import rollups_rebuild

BATCH = 1000
Progress = Callable[[str, int, int], None]


def stats_snapshots_backfill(
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> dict:
    """Rebuild the snapshots and rollups that can be rebuilt from stored rows:

    1. each channel's snapshot for the day of its last complete sync, when missing, from the
       channel's stored totals (views, subscribers);
    2. each video's snapshot for the day its statistics were last read, when missing, from its
       stored counts;
    3. the rollups from ``date_from`` (default the first day anything happened) to ``date_to``
       (default today), day by day.

    Existing snapshots are never changed (they are YouTube's readings). ``progress(phase, done,
    total)`` after each batch or day. With ``dry_run`` only counts what step 1 and 2 would add."""
    channel_rows = list(
        ChannelStatsSync.objects.filter(synced_at__isnull=False).values_list(
            "channel_id", "synced_at", "channel__total_views", "channel__total_subscribers"
        )
    )
    snapshots = [
        ChannelStatsSnapshot(
            channel_id=channel_id,
            date=synced_at.astimezone(dt.UTC).date(),
            view_count=views,
            subscriber_count=subscribers,
            taken_at=synced_at,
        )
        for channel_id, synced_at, views, subscribers in channel_rows
    ]
    existing = set(
        ChannelStatsSnapshot.objects.filter(channel_id__in=[s.channel_id for s in snapshots]).values_list(
            "channel_id", "date"
        )
    )
    missing = [s for s in snapshots if (s.channel_id, s.date) not in existing]
    if not dry_run and missing:
        ChannelStatsSnapshot.objects.bulk_create(missing, ignore_conflicts=True)
    if progress is not None:
        progress("channel snapshots", len(channel_rows), len(channel_rows))

    videos = Video.objects.filter(stats_updated_at__isnull=False).order_by("pk")
    total = videos.count()
    video_added = done = 0
    last_pk = None
    while True:
        page = videos if last_pk is None else videos.filter(pk__gt=last_pk)
        rows = list(page.values_list("pk", "stats_updated_at", "view_count", "like_count", "comment_count")[:BATCH])
        if not rows:
            break
        last_pk = rows[-1][0]
        wanted = {
            (pk, at.astimezone(dt.UTC).date()): VideoStatsSnapshot(
                video_id=pk,
                date=at.astimezone(dt.UTC).date(),
                view_count=views,
                like_count=likes,
                comment_count=comments,
                taken_at=at,
            )
            for pk, at, views, likes, comments in rows
        }
        have = set(
            VideoStatsSnapshot.objects.filter(video_id__in=[pk for pk, *_ in rows]).values_list("video_id", "date")
        )
        add = [snapshot for key, snapshot in wanted.items() if key not in have]
        video_added += len(add)
        if not dry_run and add:
            VideoStatsSnapshot.objects.bulk_create(add, ignore_conflicts=True)
        done += len(rows)
        if progress is not None:
            progress("video snapshots", done, total)

    rollups = {"days": 0, "rows": 0}
    if not dry_run:
        date_to = date_to or utc_today()
        date_from = date_from or _first_day() or date_to
        rollups = rollups_rebuild(
            date_from=date_from,
            date_to=date_to,
            progress=(lambda d, t: progress("rollups", d, t)) if progress is not None else None,
        )
    return {
        "channel_snapshots": len(missing),
        "video_snapshots": video_added,
        "rollup_days": rollups["days"],
        "rollup_rows": rollups["rows"],
        "dry_run": dry_run,
    }


def _first_day() -> dt.date | None:
    """The first UTC day with a video, a ledger row or a snapshot (where a full rebuild starts)."""
    candidates = [
        Video.objects.aggregate(first=Min("created_at"))["first"],
        VideoCost.objects.aggregate(first=Min("budget_date"))["first"],
        ChannelStatsSnapshot.objects.aggregate(first=Min("date"))["first"],
    ]
    days = [c.astimezone(dt.UTC).date() if isinstance(c, dt.datetime) else c for c in candidates if c]
    return min(days) if days else None
