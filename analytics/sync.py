"""YouTube statistics and revenue, read through each channel's own account.

``youtube_stats_sync`` (hourly beat task, ``manage.py sync_youtube_stats``) visits every bound,
non-archived channel, least recently read first, and for each:

- skips it, to be retried next hour, when its account is a sandbox, is not "ok" (resting, needs
  reconnecting, deactivated), has no active project, or its project has no units left for reads
  (``youtube_pool.services.api.quota_reserve_read``: reads stop at the soft limit, less the units
  the project's remaining uploads need), or when another run holds it (a 15-minute lease);
- reads ``channels.list(part=statistics, mine=true)`` through the channel's OWN account (the
  answer must be the channel's own YouTube id, else nothing is stored), then its published videos'
  ``videos.list(part=statistics)`` 50 ids a call, least recently read first; each call is metered
  (1 unit) and a QuotaExhaustedError stops the channel there ("partial", resumed next hour);
- stores the day's ``ChannelStatsSnapshot`` and ``VideoStatsSnapshot`` rows (unique per object and
  UTC day: the last reading of the day wins) and the totals, through channels' and videos' services;
- revenue: when the account's credentials carry yt-analytics-monetary.readonly, at most every
  6 hours, YouTube Analytics ``reports.query`` (estimatedRevenue,views by day, the last 28
  Pacific days or from ``since``) fills ``ChannelRevenueDay`` and ``total_revenue_cents`` (the sum
  of the days held), and the top-videos report (200 best earners, lifetime) the videos' revenue.
  Without the scope (or when YouTube refuses it) revenue is null, "not authorised", never 0.

No HTTP call runs inside a database transaction; each write is its own short transaction.
"""

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Min, Q, Sum
from django.utils import timezone

from channels.models import Channel, ChannelStatus
from channels.services import channel_revenue_set, channel_stats_set
from videos.models import Video
from videos.services.state import VideoStats, video_revenue_record, video_stats_record
from youtube_pool.conf import MONETARY_SCOPE, pacific_tz
from youtube_pool.exceptions import QuotaExhaustedError
from youtube_pool.services import account_state
from youtube_pool.services.api import quota_read_room, youtube_read
from youtube_pool.services.credentials import account_has_scope
from youtube_pool.services.errors import http_error_reason
from ytempire.core.exceptions import ApplicationError
from ytempire.core.money import money

from .days import utc_today
from .models import ChannelRevenueDay, ChannelStatsSnapshot, ChannelStatsSync, SyncOutcome, VideoStatsSnapshot
from .rollups import rollups_refresh

logger = logging.getLogger(__name__)

BATCH = 50  # videos.list takes at most 50 ids
LEASE = dt.timedelta(minutes=15)
REVENUE_REFRESH = dt.timedelta(hours=6)  # YouTube updates revenue about daily
REVENUE_DAYS = 28
TOP_VIDEOS = 200  # the top-videos report's maximum
STATE_REASONS = {
    "resting": "account resting",
    "needs_reconnect": "account needs reconnecting",
    "deactivated": "account deactivated",
}


class ChannelMismatchError(ApplicationError):
    """YouTube answered for another channel than the one bound: nothing is stored."""

    status_code = 409
    default_message = "The account answers for another YouTube channel than the one bound"


@dataclass
class ChannelSyncResult:
    channel_id: object
    outcome: str
    detail: str = ""
    calls: int = 0
    videos: int = 0
    revenue: str = ""  # "read", "not_authorised", "not_due", "error" or "" (not reached)
    days: set = field(default_factory=set)  # rollup days this sync changed


@dataclass
class SyncReport:
    channels: int = 0
    synced: int = 0
    partial: int = 0
    skipped: int = 0
    failed: int = 0
    deferred: int = 0  # not reached before the time budget ran out (first next run)
    videos: int = 0
    calls: int = 0
    reasons: dict = field(default_factory=dict)
    results: list = field(default_factory=list)

    def add(self, result: ChannelSyncResult) -> None:
        self.results.append(result)
        self.calls += result.calls
        self.videos += result.videos
        counter = {
            SyncOutcome.SYNCED: "synced",
            SyncOutcome.PARTIAL: "partial",
            SyncOutcome.SKIPPED: "skipped",
            SyncOutcome.FAILED: "failed",
        }[result.outcome]
        setattr(self, counter, getattr(self, counter) + 1)
        if result.outcome in (SyncOutcome.SKIPPED, SyncOutcome.FAILED, SyncOutcome.PARTIAL):
            self.reasons[result.detail] = self.reasons.get(result.detail, 0) + 1


def stats_sync_candidates(*, channel_id=None) -> list:
    """Ids of the bound, non-archived channels, least recently read first (never read first)."""
    channels = Channel.objects.filter(youtube_account__isnull=False).exclude(status=ChannelStatus.ARCHIVED)
    if channel_id is not None:
        channels = channels.filter(pk=channel_id)
    ordered = channels.order_by(F("stats_sync__synced_at").asc(nulls_first=True), "pk")
    return list(ordered.values_list("pk", flat=True))


def youtube_stats_sync(
    *,
    channel_id=None,
    since: dt.date | None = None,
    now: dt.datetime | None = None,
    time_budget_seconds: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SyncReport:
    """Read every bound channel's statistics (or one channel's), then refresh the rollups of the
    days that changed. Channels not reached within ``time_budget_seconds`` are counted as deferred
    (they are the least recently read, so the next run starts with them). ``progress(done, total)``
    after each channel."""
    started = time.monotonic()
    ids = stats_sync_candidates(channel_id=channel_id)
    report = SyncReport(channels=len(ids))
    touched: dict = {}
    for done, pk in enumerate(ids, start=1):
        if time_budget_seconds is not None and time.monotonic() - started > time_budget_seconds:
            report.deferred = len(ids) - done + 1
            break
        result = channel_stats_sync(channel_id=pk, since=since, now=now)
        report.add(result)
        for day in result.days:
            touched.setdefault(day, set()).add(pk)
        if progress is not None:
            progress(done, len(ids))
    for day, channel_ids in touched.items():
        rollups_refresh(days=[day], channel_ids=list(channel_ids), now=now)
    logger.info(
        "youtube stats sync",
        extra={key: getattr(report, key) for key in ("channels", "synced", "partial", "skipped", "failed", "calls")},
    )
    return report


def channel_stats_sync(
    *, channel_id, since: dt.date | None = None, now: dt.datetime | None = None
) -> ChannelSyncResult:
    """Read one channel's statistics (and revenue) through its own account; see the module doc.
    Never raises: the outcome says what happened (unexpected errors are logged with a traceback)."""
    now = now or timezone.now()
    channel = Channel.objects.select_related("youtube_account__project").filter(pk=channel_id).first()
    if channel is None or channel.youtube_account is None:
        return ChannelSyncResult(channel_id, SyncOutcome.SKIPPED, "not connected to YouTube")
    reason = _skip_reason(channel, now)
    if reason:
        _record(channel.pk, now=now, outcome=SyncOutcome.SKIPPED, detail=reason)
        return ChannelSyncResult(channel.pk, SyncOutcome.SKIPPED, reason)
    if not _claim(channel.pk, now):
        return ChannelSyncResult(channel.pk, SyncOutcome.SKIPPED, "another sync is reading this channel")
    result = ChannelSyncResult(channel.pk, SyncOutcome.SYNCED)
    try:
        _read_statistics(channel, result=result, since=since, now=now)
        _read_revenue(channel, result=result, since=since, now=now)
    except QuotaExhaustedError as exc:
        result.outcome = SyncOutcome.PARTIAL if result.calls else SyncOutcome.SKIPPED
        result.detail = f"project quota: {exc.message}"[:300]
    except ApplicationError as exc:
        result.outcome = SyncOutcome.FAILED
        result.detail = exc.message[:300]
        logger.warning("youtube stats sync failed", extra={"channel_id": str(channel.pk), "error": exc.message})
    except Exception as exc:  # one channel's surprise must not stop the hour's run; logged with its traceback
        result.outcome = SyncOutcome.FAILED
        result.detail = f"unexpected error: {exc.__class__.__name__}"
        logger.exception("youtube stats sync crashed", extra={"channel_id": str(channel.pk)})
    _record(
        channel.pk,
        now=now,
        outcome=result.outcome,
        detail=result.detail,
        synced=result.outcome == SyncOutcome.SYNCED,
        revenue_read=result.revenue == "read",
    )
    return result


def _skip_reason(channel: Channel, now: dt.datetime) -> str:
    account = channel.youtube_account
    if channel.status == ChannelStatus.ARCHIVED:
        return "channel archived"
    if account.is_sandbox:
        return "sandbox account (no YouTube statistics)"
    state = account_state(account, now=now)
    if state != "ok":
        return STATE_REASONS.get(state, state)
    if account.project is None or not account.project.is_active:
        return "no active Google project"
    if quota_read_room(account.project) < 1:
        return "project quota: units kept for uploads until the Pacific-midnight reset"
    return ""


def _claim(channel_id, now: dt.datetime) -> bool:
    """Take the channel's 15-minute lease (one conditional UPDATE): False when another run holds it."""
    ChannelStatsSync.objects.get_or_create(channel_id=channel_id)
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    return bool(
        ChannelStatsSync.objects.filter(free, channel_id=channel_id).update(claimed_until=now + LEASE, attempted_at=now)
    )


def _record(channel_id, *, now, outcome: str, detail: str, synced: bool = False, revenue_read: bool = False) -> None:
    """The channel's bookkeeping after a visit; frees the lease."""
    fields = {"outcome": outcome, "detail": detail[:300], "attempted_at": now, "claimed_until": None}
    if synced:
        fields["synced_at"] = now
    if revenue_read:
        fields["revenue_synced_at"] = now
    ChannelStatsSync.objects.update_or_create(channel_id=channel_id, defaults=fields)


def _count(value) -> int | None:
    """YouTube sends counts as strings; a missing count (hidden) is None."""
    if value is None:
        return None
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return None


def _read_statistics(channel: Channel, *, result: ChannelSyncResult, since, now: dt.datetime) -> None:
    account = channel.youtube_account
    today = utc_today(now)
    response = youtube_read(
        account=account,
        method="channels.list",
        build_request=lambda yt: yt.channels().list(part="statistics", mine=True),
    )
    result.calls += 1
    items = response.get("items") or []
    if not items or items[0].get("id") != channel.youtube_channel_id:
        raise ChannelMismatchError()
    statistics = items[0].get("statistics") or {}
    views = _count(statistics.get("viewCount")) or 0
    hidden = bool(statistics.get("hiddenSubscriberCount"))
    subscribers = None if hidden else _count(statistics.get("subscriberCount"))
    with transaction.atomic():
        ChannelStatsSnapshot.objects.update_or_create(
            channel_id=channel.pk,
            date=today,
            defaults={
                "view_count": views,
                "subscriber_count": subscribers,
                "video_count": _count(statistics.get("videoCount")) or 0,
                "taken_at": now,
            },
        )
        channel_stats_set(channel_id=channel.pk, total_views=views, total_subscribers=subscribers)
    result.days.add(today)

    published = Video.objects.filter(channel_id=channel.pk, published_at__isnull=False, youtube_video_id__isnull=False)
    if since is not None:
        published = published.filter(published_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC))
    pending = list(
        published.order_by(F("stats_updated_at").asc(nulls_first=True), "pk").values_list("pk", "youtube_video_id")
    )
    for start in range(0, len(pending), BATCH):
        batch = {youtube_id: pk for pk, youtube_id in pending[start : start + BATCH]}
        ids = ",".join(batch)
        response = youtube_read(
            account=account,
            method="videos.list",
            build_request=lambda yt, ids=ids: yt.videos().list(part="statistics", id=ids, maxResults=BATCH),
        )
        result.calls += 1
        stats = []
        for item in response.get("items") or []:
            if item.get("id") not in batch:
                continue
            counts = item.get("statistics") or {}
            stats.append(
                VideoStats(
                    video_id=batch[item["id"]],
                    views=_count(counts.get("viewCount")) or 0,
                    likes=_count(counts.get("likeCount")),
                    comments=_count(counts.get("commentCount")),
                )
            )
        with transaction.atomic():
            video_stats_record(stats=stats, at=now)
            VideoStatsSnapshot.objects.bulk_create(
                [
                    VideoStatsSnapshot(
                        video_id=row.video_id,
                        date=today,
                        view_count=row.views,
                        like_count=row.likes,
                        comment_count=row.comments,
                        taken_at=now,
                    )
                    for row in stats
                ],
                update_conflicts=True,
                unique_fields=["video", "date"],
                update_fields=["view_count", "like_count", "comment_count", "taken_at"],
            )
        result.videos += len(stats)


def _decimal(value) -> Decimal:
    """A metric from YouTube Analytics (Decimal from our JSON model, or an int) as money."""
    if isinstance(value, float):  # never expected: the client parses fractions as Decimal
        value = Decimal(repr(value))
    return money(Decimal(value or 0))


def _table(report: dict) -> list[dict]:
    """YouTube Analytics' result table as dicts keyed by column name (``rows`` is absent when empty)."""
    names = [column.get("name") for column in report.get("columnHeaders") or []]
    return [dict(zip(names, row, strict=False)) for row in report.get("rows") or []]


def _forbidden(exc: ApplicationError) -> bool:
    cause = exc.__cause__
    return cause is not None and hasattr(cause, "resp") and http_error_reason(cause)[0] == 403


def _not_authorised(channel: Channel, result: ChannelSyncResult) -> None:
    with transaction.atomic():
        channel_revenue_set(channel_id=channel.pk, total_revenue_cents=None)
        video_revenue_record(channel_id=channel.pk, revenue=None)
    result.revenue = "not_authorised"


def _read_revenue(channel: Channel, *, result: ChannelSyncResult, since, now: dt.datetime) -> None:
    account = channel.youtube_account
    if not account_has_scope(account, MONETARY_SCOPE):
        _not_authorised(channel, result)
        return
    last = ChannelStatsSync.objects.filter(channel_id=channel.pk).values_list("revenue_synced_at", flat=True).first()
    if since is None and last is not None and now - last < REVENUE_REFRESH and channel.total_revenue_cents is not None:
        result.revenue = "not_due"
        return
    youtube_today = now.astimezone(pacific_tz()).date()
    start = min(since or youtube_today - dt.timedelta(days=REVENUE_DAYS - 1), youtube_today)
    try:
        daily = youtube_read(
            account=account,
            method="youtubeAnalytics.reports.query",
            api="youtubeAnalytics",
            record_result=False,  # a refusal here says nothing about the account's health
            build_request=lambda yta: yta.reports().query(
                ids="channel==MINE",
                startDate=start.isoformat(),
                endDate=youtube_today.isoformat(),
                metrics="estimatedRevenue,views",
                dimensions="day",
                sort="day",
            ),
        )
        result.calls += 1
    except QuotaExhaustedError:
        raise
    except ApplicationError as exc:
        if _forbidden(exc):
            _not_authorised(channel, result)
        else:
            result.revenue = "error"
            logger.warning("revenue read failed", extra={"channel_id": str(channel.pk), "error": exc.message})
        return
    rows = [
        ChannelRevenueDay(
            channel_id=channel.pk,
            date=dt.date.fromisoformat(str(row["day"])),
            revenue=_decimal(row.get("estimatedRevenue")),
            views=int(row.get("views") or 0),
            fetched_at=now,
        )
        for row in _table(daily)
    ]
    with transaction.atomic():
        if rows:
            ChannelRevenueDay.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["channel", "date"],
                update_fields=["revenue", "views", "fetched_at"],
            )
        total = ChannelRevenueDay.objects.filter(channel_id=channel.pk).aggregate(s=Sum("revenue"))["s"] or Decimal(0)
        cents = int((Decimal(total) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        channel_revenue_set(channel_id=channel.pk, total_revenue_cents=cents)
    result.days.update(row.date for row in rows)
    result.revenue = "read"
    _read_video_revenue(channel, result=result, today=youtube_today)


def _read_video_revenue(channel: Channel, *, result: ChannelSyncResult, today: dt.date) -> None:
    """The top-videos report (lifetime, from the channel's first published video): the listed
    videos get their revenue; when fewer than 200 are listed every other published video earned 0."""
    ours = Video.objects.filter(channel_id=channel.pk, published_at__isnull=False, youtube_video_id__isnull=False)
    first = ours.aggregate(first=Min("published_at"))["first"]
    if first is None:
        return
    start = min(first.astimezone(pacific_tz()).date(), today)
    try:
        report = youtube_read(
            account=channel.youtube_account,
            method="youtubeAnalytics.reports.query",
            api="youtubeAnalytics",
            record_result=False,
            build_request=lambda yta: yta.reports().query(
                ids="channel==MINE",
                startDate=start.isoformat(),
                endDate=today.isoformat(),
                metrics="estimatedRevenue,views",
                dimensions="video",
                sort="-estimatedRevenue",
                maxResults=TOP_VIDEOS,
            ),
        )
        result.calls += 1
    except QuotaExhaustedError:
        raise
    except ApplicationError as exc:
        logger.warning("video revenue read failed", extra={"channel_id": str(channel.pk), "error": exc.message})
        return
    table = _table(report)
    amounts = {str(row.get("video")): _decimal(row.get("estimatedRevenue")) for row in table}
    mapping = dict(ours.filter(youtube_video_id__in=list(amounts)).values_list("youtube_video_id", "pk"))
    video_revenue_record(
        channel_id=channel.pk,
        revenue={pk: amounts[youtube_id] for youtube_id, pk in mapping.items()},
        complete=len(table) < TOP_VIDEOS,
    )
