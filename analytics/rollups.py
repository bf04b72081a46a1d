"""Daily rollups: each channel's day, rebuilt from the rows the other apps own.

The dashboard and the analytics API read past days from ``DailyChannelRollup`` instead of scanning
videos and the cost ledger per request. A refresh recomputes whole days from the source rows
(videos, the ledger, the stats snapshots, the revenue days), so it is idempotent: run it as often as
wanted, for any days. Which day each figure follows is documented on the model.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from costs.models import VideoCost
from costs.services import budget_date_for
from videos.models import Video
from ytempire.core.money import ZERO, money

from .days import ONE_DAY, days_between, utc_day_bounds, utc_today
from .models import CREATED_FIELDS, ChannelRevenueDay, ChannelStatsSnapshot, DailyChannelRollup, DailyPlatformRollup

FIGURE_FIELDS = [*CREATED_FIELDS.values(), "published", "spend", "views", "subscribers", "revenue"]


def _blank() -> dict:
    return {**dict.fromkeys(CREATED_FIELDS.values(), 0), "published": 0, "spend": ZERO, "views": None}


def _is_empty(figures: dict) -> bool:
    counts = [figures[name] for name in (*CREATED_FIELDS.values(), "published")]
    unknown = [figures.get(name) for name in ("views", "subscribers", "revenue")]
    return not any(counts) and figures["spend"] == 0 and all(value is None for value in unknown)


def rollup_day_figures(*, day: dt.date, channel_ids=None) -> dict:
    """``{channel_id: {created_<status>..., published, spend, views, subscribers, revenue}}`` for one
    day, computed from the source rows (nothing is written); channels with nothing that day are left
    out. ``channel_ids`` narrows it to some channels. Five queries, each on an indexed day column."""
    start, end = utc_day_bounds(day)
    videos = Video.objects.all() if channel_ids is None else Video.objects.filter(channel_id__in=channel_ids)
    ledger = VideoCost.objects.filter(budget_date=day)
    snapshots = ChannelStatsSnapshot.objects.filter(date__in=[day - ONE_DAY, day])
    revenue_days = ChannelRevenueDay.objects.filter(date=day)
    if channel_ids is not None:
        ledger = ledger.filter(video__channel_id__in=channel_ids)
        snapshots = snapshots.filter(channel_id__in=channel_ids)
        revenue_days = revenue_days.filter(channel_id__in=channel_ids)
    figures: dict = defaultdict(_blank)
    created = videos.filter(created_at__gte=start, created_at__lt=end).values_list("channel_id", "status")
    for channel_id, status, n in created.annotate(n=Count("pk")).order_by():
        figures[channel_id][CREATED_FIELDS[status]] = n
    published = videos.filter(published_at__gte=start, published_at__lt=end).values_list("channel_id")
    for channel_id, n in published.annotate(n=Count("pk")).order_by():
        figures[channel_id]["published"] = n
    for channel_id, total in ledger.values_list("video__channel_id").annotate(total=Sum("amount")).order_by():
        figures[channel_id]["spend"] = money(total or 0)
    readings: dict = defaultdict(dict)
    for channel_id, date, views, subscribers in snapshots.values_list(
        "channel_id", "date", "view_count", "subscriber_count"
    ):
        readings[channel_id][date] = (views, subscribers)
    for channel_id, by_date in readings.items():
        if day not in by_date:
            continue
        views, subscribers = by_date[day]
        previous = by_date.get(day - ONE_DAY)
        figures[channel_id]["views"] = views - previous[0] if previous else None
        figures[channel_id]["subscribers"] = subscribers
    for channel_id, revenue in revenue_days.values_list("channel_id", "revenue"):
        figures[channel_id]["revenue"] = money(revenue)
    for row in figures.values():
        row.setdefault("subscribers", None)
        row.setdefault("revenue", None)
    return {channel_id: row for channel_id, row in figures.items() if not _is_empty(row)}


def rollups_refresh(*, days: Iterable[dt.date], channel_ids=None, now: dt.datetime | None = None) -> int:
    """Recompute and store the rollups of ``days`` (every channel, or those of ``channel_ids``).

    Per day, in one transaction: the channels with figures are upserted (unique per channel and
    day), the rows of channels with nothing left that day are deleted, and the platform's row is
    re-summed from the channel rows. Returns channel rows written."""
    now = now or timezone.now()
    written = 0
    for day in sorted(set(days)):
        figures = rollup_day_figures(day=day, channel_ids=channel_ids)
        rows = [
            DailyChannelRollup(channel_id=channel_id, date=day, computed_at=now, **values)
            for channel_id, values in figures.items()
        ]
        with transaction.atomic():
            stale = DailyChannelRollup.objects.filter(date=day).exclude(channel_id__in=list(figures))
            if channel_ids is not None:
                stale = stale.filter(channel_id__in=channel_ids)
            stale.delete()
            if rows:
                DailyChannelRollup.objects.bulk_create(
                    rows,
                    update_conflicts=True,
                    unique_fields=["channel", "date"],
                    update_fields=[*FIGURE_FIELDS, "computed_at"],
                )
            _platform_day_refresh(day=day, now=now)
        written += len(rows)
    return written


def _platform_day_refresh(*, day: dt.date, now: dt.datetime) -> None:
    """The platform's row for ``day``: the sum of the day's channel rows (one aggregate, one upsert;
    the day's row is deleted when no channel has one). Call inside the refresh's transaction."""
    totals = DailyChannelRollup.objects.filter(date=day).aggregate(
        channels=Count("pk"),
        spend=Sum("spend"),
        views=Sum("views"),
        revenue=Sum("revenue"),
        **{field: Sum(field) for field in (*CREATED_FIELDS.values(), "published")},
    )
    if not totals["channels"]:
        DailyPlatformRollup.objects.filter(date=day).delete()
        return
    values = {field: totals[field] or 0 for field in (*CREATED_FIELDS.values(), "published")}
    DailyPlatformRollup.objects.update_or_create(
        date=day,
        defaults={
            **values,
            "channels": totals["channels"],
            "spend": money(totals["spend"] or 0),
            "views": totals["views"],
            "revenue": money(totals["revenue"]) if totals["revenue"] is not None else None,
            "computed_at": now,
        },
    )


def rollups_refresh_recent(*, days: int = 2, now: dt.datetime | None = None) -> int:
    """The beat's refresh: the last ``days`` UTC days and budget days (today and yesterday by
    default; the nightly run passes 30 to catch retried old videos and late ledger corrections)."""
    now = now or timezone.now()
    latest = {utc_today(now), budget_date_for(now)}
    recent = {day - dt.timedelta(days=back) for day in latest for back in range(max(1, days))}
    return rollups_refresh(days=recent, now=now)


def rollups_rebuild(
    *, date_from: dt.date, date_to: dt.date, progress: Callable[[int, int], None] | None = None
) -> dict:
    """Rebuild every rollup from ``date_from`` to ``date_to`` (staff command), day by day;
    ``progress(done, total)`` after each day. Returns ``{"days", "rows"}``."""
    days = list(days_between(date_from, date_to))
    rows = 0
    for done, day in enumerate(days, start=1):
        rows += rollups_refresh(days=[day])
        if progress is not None:
            progress(done, len(days))
    return {"days": len(days), "rows": rows}
