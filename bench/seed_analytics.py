"""The analytics app's rows for the bench data set, derived from the videos the seed made: what
its sync and rollups would have written over the seeded days."""

from datetime import timedelta
from decimal import Decimal

from django.apps import apps

from .pgcopy import copy_rows
from .seed import SeedSummary, World, day_start, money, views_at


def seed_analytics(w: World, summary: SeedSummary) -> None:
    """Daily channel snapshots for ``days`` days, video snapshots for the last ``snapshot_days``
    days of each published video, revenue days for the channels that authorised revenue reads,
    daily channel rollups and the sync bookkeeping; a model that does not exist is noted, not
    seeded. Fields the app adds later take their defaults (bench/pgcopy.py)."""
    params, now, channels, authorised = w.params, w.now, w.channels, w.authorised
    published_views, video_days, spend = w.published_views, w.video_days, w.spend
    models_by_name = {m.__name__: m for m in apps.get_app_config("analytics").get_models()}
    today = now.date()
    first_day = today - timedelta(days=params.days - 1)
    days = [first_day + timedelta(days=d) for d in range(params.days)]

    channel_snapshots, revenue_days, rollups = [], [], []
    for channel in channels:
        items = published_views.get(channel["id"], [])
        previous = None
        for day in days:
            taken = min(day_start(day) + timedelta(hours=23), now)
            views = sum(views_at(final, (taken - at) / timedelta(days=1)) for _, at, final in items if at <= taken)
            subscribers = views // 40
            videos_so_far = sum(1 for _, at, _ in items if at <= taken)
            channel_snapshots.append(
                {
                    "channel_id": channel["id"],
                    "date": day,
                    "view_count": views,
                    "subscriber_count": subscribers,
                    "video_count": videos_so_far,
                    "taken_at": taken,
                }
            )
            gained = None if previous is None else views - previous
            revenue = None
            if channel["id"] in authorised and gained is not None:
                revenue = money(gained * 0.002)
                revenue_days.append(
                    {
                        "channel_id": channel["id"],
                        "date": day,
                        "revenue": revenue,
                        "views": gained,
                        "fetched_at": taken,
                    }
                )
            counters = video_days.get((channel["id"], day), {})
            rollups.append(
                {
                    "channel_id": channel["id"],
                    "date": day,
                    **{name: n for name, n in counters.items() if name.startswith("created_") or name == "published"},
                    "spend": spend.get((channel["id"], day), Decimal("0")),
                    "views": gained,
                    "subscribers": subscribers,
                    "revenue": revenue,
                    "computed_at": taken,
                }
            )
            previous = views

    video_snapshots = []
    window_start = today - timedelta(days=params.snapshot_days - 1)
    for items in published_views.values():
        for vid, at, final in items:
            day = max(at.date(), window_start)
            while day <= today:
                taken = min(day_start(day) + timedelta(hours=23), now)
                views = views_at(final, (taken - at) / timedelta(days=1))
                video_snapshots.append(
                    {
                        "video_id": vid,
                        "date": day,
                        "view_count": views,
                        "like_count": views // 25,
                        "comment_count": views // 200,
                        "taken_at": taken,
                    }
                )
                day += timedelta(days=1)

    wanted = {
        "ChannelStatsSnapshot": channel_snapshots,
        "VideoStatsSnapshot": video_snapshots,
        "ChannelRevenueDay": revenue_days,
        "DailyChannelRollup": rollups,
        "ChannelStatsSync": [
            {
                "channel_id": c["id"],
                "synced_at": now - timedelta(minutes=30),
                "revenue_synced_at": now - timedelta(hours=6) if c["id"] in authorised else None,
                "attempted_at": now - timedelta(minutes=30),
                "outcome": "synced",
            }
            for c in channels
        ],
    }
    for name, rows in wanted.items():
        model = models_by_name.get(name)
        if model is None:
            summary.notes.append(f"analytics.{name} does not exist: not seeded")
            continue
        summary.rows[model._meta.db_table] = copy_rows(model, rows)
