"""The business as numbers: the ONE module the admin dashboard and the analytics API read.

``operations_overview`` is the dashboard's (and ``GET /api/v1/analytics/overview``'s) source;
``channel_analytics`` and ``video_top_list`` serve the other analytics endpoints. Scope: a user
None or with role admin sees the platform; any other user sees only their own channels.

Bounded: every query filters on an indexed column (a day, a channel, a status), aggregates in
the database, and the counts are pinned by tests. Past days come from ``DailyChannelRollup``;
today is computed live from today's rows. Money is ``Decimal`` with 4 places.

Days: "today" and the video series are UTC days; spend follows budget days
(COST_BUDGET_TIMEZONE, UTC unless configured); quota hours and revenue follow YouTube's
America/Los_Angeles day.
"""

import datetime as dt
import math
import uuid
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.functions import ExtractHour, Floor
from django.utils import timezone

from channels.models import Channel, ChannelStatus
from costs.models import Reservation, ReservationStatus, VideoCost
from costs.services import budget_date_for, daily_budget, monthly_budget, video_limit
from videos.models import OptimizationLevel, Video, VideoEvent, VideoStatus
from videos.publishing.capacity import channel_upload_capacity, publishing_capacity
from youtube_pool.conf import next_reset_at, pacific_day_start, pacific_tz
from ytempire.core.exceptions import NotFoundError
from ytempire.core.money import ZERO, money
from ytempire.core.visibility import owned_by

from .days import ONE_DAY, days_between, utc_day_bounds, utc_today
from .models import CREATED_FIELDS, DailyChannelRollup, DailyPlatformRollup

STATUSES: list[str] = list(VideoStatus.values)
SERIES_DAYS = 30
COST_WINDOW = dt.timedelta(days=30)
ATTENTION_WINDOW = dt.timedelta(days=7)
# Cost-per-video histogram: $0.25 steps up to the $3 limit, then everything above it.
COST_STEP = Decimal("0.25")
COST_TOP = Decimal("3.00")
COST_BUCKETS: list[tuple[str, Decimal, Decimal | None]] = [
    (f"{COST_STEP * i:.2f}-{COST_STEP * (i + 1):.2f}", COST_STEP * i, COST_STEP * (i + 1))
    for i in range(int(COST_TOP / COST_STEP))
] + [(f"{COST_TOP:.2f}+", COST_TOP, None)]
CAPACITY_KEYS = ("uploads_possible_today", "next_reset_at", "projects", "accounts")
CHANNEL_NOT_FOUND = "Channel not found"
VIDEO_ORDERS = ("views", "cost_per_view", "revenue")


def is_platform_scope(user) -> bool:
    return user is None or bool(getattr(user, "is_platform_admin", False))


def default_range(*, date_from: dt.date | None, date_to: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last 30 days ending ``date_to`` (default today) unless both ends are given."""
    date_to = date_to or (date_from + dt.timedelta(days=SERIES_DAYS - 1) if date_from else today)
    date_from = date_from or date_to - dt.timedelta(days=SERIES_DAYS - 1)
    return date_from, date_to


# --- the overview -------------------------------------------------------------------------------
def operations_overview(
    *, user=None, now: dt.datetime | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> dict:
    """The operations dashboard's numbers for the platform (``user`` None or role admin) or for
    one customer's channels. The dict's shape is a contract (the admin dashboard codes against it):

    ``scope``, ``generated_at``; ``today`` (UTC day: videos created today by current status,
    published today, the target, automation rate, failed videos needing attention); ``money``
    (budget day: spend and held today, the month, cost per video over the last 30 days, estimate
    vs actual per level); ``capacity`` (uploads still possible today, next Pacific reset, projects,
    accounts); ``series`` (spend per budget day vs budget, videos per created day by status, the
    cost distribution, uploads per project by Pacific hour today).

    Platform: 12 queries (11 with no video published in the last 30 days); a customer: 13."""
    now = now or timezone.now()
    today = utc_today(now)
    budget_today = budget_date_for(now)
    date_from, date_to = default_range(date_from=date_from, date_to=date_to, today=today)
    platform = is_platform_scope(user)
    channels = None
    if not platform:
        fields = ("id", "name", "status", "daily_video_limit", "youtube_account_id")
        channels = list(Channel.objects.filter(user_id=user.pk).values(*fields))
    channel_ids = None if platform else [row["id"] for row in channels]

    def scoped(queryset: QuerySet, path: str = "channel_id") -> QuerySet:
        return queryset if channel_ids is None else queryset.filter(**{f"{path}__in": channel_ids})

    videos = scoped(Video.objects.all())
    today_block = _today(videos=videos, now=now, today=today)
    if platform:
        today_block["target"] = int(settings.DAILY_VIDEO_TARGET)
    else:
        today_block["target"] = sum(c["daily_video_limit"] for c in channels if c["status"] == ChannelStatus.ACTIVE)

    spend_today = money(
        scoped(VideoCost.objects.filter(budget_date=budget_today), "video__channel_id").aggregate(s=Sum("amount"))["s"]
        or 0
    )
    held_today = money(
        scoped(
            Reservation.objects.filter(status=ReservationStatus.OPEN, budget_date=budget_today, expires_at__gt=now),
            "video__channel_id",
        ).aggregate(s=Sum("amount"))["s"]
        or 0
    )
    month_start = budget_today.replace(day=1)
    first, last = min(date_from, month_start), date_to
    if platform:
        past = _platform_rollups_by_date(first=first, last=last)
    else:
        past = _rollups_by_date(rollups=scoped(DailyChannelRollup.objects.all()), first=first, last=last)
    spend_month = money(
        sum((past[day]["spend"] for day in days_between(month_start, budget_today - ONE_DAY) if day in past), ZERO)
        + spend_today
    )
    costs = _cost_per_video(videos=videos, now=now)

    spend_per_day, videos_per_day = [], []
    budget = daily_budget()
    for day in days_between(date_from, date_to):
        if day == budget_today:
            spend = spend_today
        elif day > budget_today:
            spend = ZERO
        else:
            spend = past[day]["spend"] if day in past else ZERO
        spend_per_day.append({"date": day, "spend": spend, "budget": budget})
        if day == today:
            counts = dict(today_block["videos_by_status"])
        elif day > today or day not in past:
            counts = dict.fromkeys(STATUSES, 0)
        else:
            counts = {status: past[day][field] for status, field in CREATED_FIELDS.items()}
        videos_per_day.append({"date": day, **counts})

    capacity = _capacity(now=now) if platform else _capacity_for_channels(channels=channels, now=now)
    return {
        "scope": "platform" if platform else "user",
        "generated_at": now,
        "today": today_block,
        "money": {
            "spend_today": spend_today,
            "held_today": held_today,
            "daily_budget": money(budget),
            "spend_month": spend_month,
            "monthly_budget": money(monthly_budget()),
            "cost_per_video": costs["cost_per_video"],
            "estimate_vs_actual": costs["estimate_vs_actual"],
        },
        "capacity": capacity,
        "series": {
            "spend_per_day": spend_per_day,
            "videos_per_day": videos_per_day,
            "cost_distribution": costs["distribution"],
            "quota_by_project_today": _quota_by_project_today(videos=videos, now=now, projects=capacity["projects"]),
        },
    }


def _today(*, videos: QuerySet, now: dt.datetime, today: dt.date) -> dict:
    """Videos created today by current status; published today (and how many without any staff
    action) and failed in the last 7 days and not retried: two queries. (One query with a filtered
    count per status was the same work for PostgreSQL, and three times the ORM's.)"""
    start, end = utc_day_bounds(today)
    published = Q(published_at__gte=start, published_at__lt=end)
    attention = Q(status=VideoStatus.FAILED, updated_at__gte=now - ATTENTION_WINDOW)
    staff_acted = Exists(VideoEvent.objects.filter(video_id=OuterRef("pk"), data__staff=True))
    created = dict(
        videos.filter(created_at__gte=start, created_at__lt=end)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = videos.filter(published | attention).aggregate(
        published=Count("pk", filter=published),
        published_by_staff=Count("pk", filter=published & Q(staff_acted)),
        attention=Count("pk", filter=attention),
    )
    published_today = counts["published"] or 0
    automated = published_today - (counts["published_by_staff"] or 0)
    return {
        "date": today,
        "videos_by_status": {status: created.get(status, 0) for status in STATUSES},
        "published": published_today,
        "target": 0,
        "automation_rate": round(automated / published_today, 4) if published_today else None,
        "failed_needing_attention": counts["attention"] or 0,
    }


def _platform_rollups_by_date(*, first: dt.date, last: dt.date) -> dict:
    """``{date: {created_<status>..., spend}}`` for the platform: one row a day, one query."""
    fields = ["date", "spend", *CREATED_FIELDS.values()]
    rows = DailyPlatformRollup.objects.filter(date__gte=first, date__lte=last).values(*fields)
    return {row.pop("date"): row for row in rows}


def _rollups_by_date(*, rollups: QuerySet, first: dt.date, last: dt.date) -> dict:
    """``{date: {created_<status>..., spend}}`` summed over the scope's channels: one query."""
    rows = (
        rollups.filter(date__gte=first, date__lte=last)
        .values("date")
        .annotate(spend=Sum("spend"), **{field: Sum(field) for field in CREATED_FIELDS.values()})
        .order_by()
    )
    return {
        row["date"]: {
            "spend": money(row["spend"] or 0),
            **{field: row[field] or 0 for field in CREATED_FIELDS.values()},
        }
        for row in rows
    }


def _cost_per_video(*, videos: QuerySet, now: dt.datetime) -> dict:
    """Videos published in the last 30 days: mean and p95 (nearest rank) of their cost against the
    target and the limit, the histogram, and estimate vs actual per level. Two queries (one when
    there is no video): counts and sums per level and $0.25 step, then the p95."""
    window = videos.filter(published_at__gte=now - COST_WINDOW, status=VideoStatus.PUBLISHED)
    # Counting total_cost (never null) rather than the key keeps this an index-only scan of
    # videos_published_idx on PostgreSQL. The step is floor(cost / $0.25): 12 and above is "3.00+".
    rows = window.values("optimization_level", step=Floor(F("total_cost") / COST_STEP)).annotate(
        n=Count("total_cost"), estimate=Sum("estimated_cost"), actual=Sum("total_cost")
    )
    levels: dict = {}
    histogram = [0] * len(COST_BUCKETS)
    for row in rows.order_by():
        level = levels.setdefault(row["optimization_level"], {"n": 0, "estimate": ZERO, "actual": ZERO})
        level["n"] += row["n"]
        level["estimate"] += row["estimate"] or ZERO
        level["actual"] += row["actual"] or ZERO
        histogram[min(max(int(row["step"]), 0), len(COST_BUCKETS) - 1)] += row["n"]
    n = sum(level["n"] for level in levels.values())
    spent = sum((level["actual"] for level in levels.values()), ZERO)
    p95 = None
    if n:
        rank = math.ceil(0.95 * n)  # nearest rank: the smallest cost with 95% of videos at or below it
        p95 = money(window.order_by("total_cost").values_list("total_cost", flat=True)[rank - 1 : rank][0])
    return {
        "cost_per_video": {
            "mean": money(spent / n) if n else None,
            "p95": p95,
            "target": money(settings.TARGET_COST_PER_VIDEO),
            "limit": money(video_limit()),
            "videos": n,
        },
        "estimate_vs_actual": [
            {
                "level": level,
                "estimate": money(levels[level]["estimate"] / levels[level]["n"]) if level in levels else None,
                "actual": money(levels[level]["actual"] / levels[level]["n"]) if level in levels else None,
                "videos": levels[level]["n"] if level in levels else 0,
            }
            for level in OptimizationLevel.values
        ],
        "distribution": [
            {"bucket": label, "videos": histogram[i]} for i, (label, _low, _high) in enumerate(COST_BUCKETS)
        ],
    }


def _quota_by_project_today(*, videos: QuerySet, now: dt.datetime, projects: list[dict]) -> list[dict]:
    """Uploads published since the last Pacific midnight per Google project and Pacific hour (every
    project of the capacity block, 24 hours each, zeros included): one query."""
    counts: dict = defaultdict(lambda: [0] * 24)
    rows = (
        videos.filter(published_at__gte=pacific_day_start(now), youtube_account_used__isnull=False)
        .annotate(hour=ExtractHour("published_at", tzinfo=pacific_tz()))
        .values_list("youtube_account_used__project__name", "hour")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for name, hour, n in rows:
        counts[name or "(no project)"][hour] += n
    names = [row["name"] for row in projects]
    names += sorted(name for name in counts if name not in names)
    return [
        {"project": name, "hours": [{"hour": hour, "uploads": counts[name][hour]} for hour in range(24)]}
        for name in names
    ]


def _capacity(*, now: dt.datetime) -> dict:
    """The platform's capacity: ``videos.publishing.capacity.publishing_capacity`` (4 queries)."""
    capacity = publishing_capacity(now=now)
    return {key: capacity[key] for key in CAPACITY_KEYS}


def _capacity_for_channels(*, channels: list[dict], now: dt.datetime) -> dict:
    """A customer's capacity: their bound channels' accounts, the projects those use, and the
    uploads still possible today (``channel_upload_capacity``, shared fairly per project). Four
    queries; none when the customer has no bound channel."""
    bound = {row["youtube_account_id"]: row for row in channels if row["youtube_account_id"]}
    if not bound:
        return {"uploads_possible_today": 0, "next_reset_at": next_reset_at(now), "projects": [], "accounts": []}
    capacity = channel_upload_capacity(channel_ids=[row["id"] for row in bound.values()], now=now)
    # A binding changed since ``channels`` was read: that account is left out of this answer.
    accounts = [row for row in capacity.accounts if row["id"] in bound]
    possible: dict = defaultdict(int)
    for row in accounts:
        channel = bound[row["id"]]
        row["channel"] = {"id": str(channel["id"]), "name": channel["name"]}
        row["owner"] = "platform" if row["owner_id"] is None else "customer"
        possible[row["project_id"]] += capacity.room.get(channel["id"], 0)
    projects = [row for row in capacity.projects if row["id"] in possible]
    for row in projects:
        row["uploads_possible"] = possible[row["id"]]
    return {
        "uploads_possible_today": sum(possible.values()),
        "next_reset_at": next_reset_at(now),
        "projects": projects,
        "accounts": accounts,
    }


# --- one channel --------------------------------------------------------------------------------
def analytics_channel_get(*, user, channel_id) -> Channel:
    """One channel the caller may see (role admin: any), with its sync bookkeeping; 404 otherwise."""
    try:
        pk = channel_id if isinstance(channel_id, uuid.UUID) else uuid.UUID(str(channel_id))
    except (TypeError, ValueError, AttributeError):
        raise NotFoundError(CHANNEL_NOT_FOUND) from None
    channels = owned_by(Channel.objects.select_related("stats_sync"), user=user, owner_path="user_id")
    channel = channels.filter(pk=pk).first()
    if channel is None:
        raise NotFoundError(CHANNEL_NOT_FOUND)
    return channel


def channel_analytics(
    *,
    user,
    channel_id,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """One channel's days from ``date_from`` to ``date_to`` (default the last 30): views gained,
    subscribers, videos published, spend, revenue (null: not authorised or not reported yet), cost
    per 1,000 views; the range's totals and ROI (revenue - spend; null without revenue). Past days
    from the rollups; today's published count and spend live. 4 queries (fewer when the range
    does not include today)."""
    now = now or timezone.now()
    channel = analytics_channel_get(user=user, channel_id=channel_id)
    today, budget_today = utc_today(now), budget_date_for(now)
    date_from, date_to = default_range(date_from=date_from, date_to=date_to, today=today)
    rollups = {
        row["date"]: row
        for row in DailyChannelRollup.objects.filter(channel_id=channel.pk, date__gte=date_from, date__lte=date_to)
        .values("date", "published", "spend", "views", "subscribers", "revenue")
        .order_by()
    }
    published_today = spend_today = None
    if date_from <= today <= date_to:
        start, end = utc_day_bounds(today)
        published_today = Video.objects.filter(channel_id=channel.pk, published_at__gte=start, published_at__lt=end)
        published_today = published_today.count()
    if date_from <= budget_today <= date_to:
        spend_today = VideoCost.objects.filter(video__channel_id=channel.pk, budget_date=budget_today)
        spend_today = money(spend_today.aggregate(s=Sum("amount"))["s"] or 0)
    authorised = channel.total_revenue_cents is not None
    days = []
    for day in days_between(date_from, date_to):
        row = rollups.get(day, {})
        published = published_today if day == today else (0 if day > today else row.get("published", 0))
        spend = ZERO if day > budget_today else money(row.get("spend") or 0)
        if day == budget_today:
            spend = spend_today
        revenue = row.get("revenue")
        days.append(
            {
                "date": day,
                "views": row.get("views"),
                "subscribers": row.get("subscribers"),
                "published": published,
                "spend": spend,
                "revenue": money(revenue) if revenue is not None and authorised else None,
                "cost_per_1k_views": _per_thousand(spend, row.get("views")),
            }
        )
    known_views = [d["views"] for d in days if d["views"] is not None]
    views = sum(known_views) if known_views else None
    spend = money(sum((d["spend"] for d in days), ZERO))
    revenue = money(sum((d["revenue"] for d in days if d["revenue"] is not None), ZERO)) if authorised else None
    try:
        stats_sync = channel.stats_sync
    except Channel.stats_sync.RelatedObjectDoesNotExist:
        stats_sync = None
    return {
        "channel": {
            "id": channel.pk,
            "name": channel.name,
            "youtube_channel_id": channel.youtube_channel_id,
            "total_views": channel.total_views,
            "total_subscribers": channel.total_subscribers,
            "total_revenue": money(Decimal(channel.total_revenue_cents) / 100) if authorised else None,
            "revenue_authorised": authorised,
            "stats_synced_at": stats_sync.synced_at if stats_sync else None,
        },
        "from": date_from,
        "to": date_to,
        "timezones": {
            "days": "UTC",
            "spend": str(getattr(settings, "COST_BUDGET_TIMEZONE", "UTC") or "UTC"),
            "revenue": str(settings.YOUTUBE_TIMEZONE),
        },
        "days": days,
        "totals": {
            "views": views,
            "published": sum(d["published"] for d in days),
            "spend": spend,
            "revenue": revenue,
            "cost_per_1k_views": _per_thousand(spend, views),
            "roi": money(revenue - spend) if revenue is not None else None,
        },
    }


def _per_thousand(spend: Decimal, views: int | None) -> Decimal | None:
    return money(spend * 1000 / views) if views and views > 0 else None


# --- top videos ---------------------------------------------------------------------------------
def video_top_list(
    *,
    user,
    order: str = "views",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Video]:
    """The caller's videos published from ``date_from`` to ``date_to`` (UTC days, default the last
    30), best first: most ``views``; lowest ``cost_per_view`` (videos without views last); most
    ``revenue`` (not authorised last). Each row carries ``cost_per_view``; paginate it (a count
    and a page: two queries)."""
    if order not in VIDEO_ORDERS:
        raise ValueError(f"order must be one of {VIDEO_ORDERS}")
    date_from, date_to = default_range(date_from=date_from, date_to=date_to, today=utc_today(now))
    start, end = utc_day_bounds(date_from)[0], utc_day_bounds(date_to)[1]
    videos = Video.objects.filter(published_at__gte=start, published_at__lt=end)
    if not is_platform_scope(user):
        videos = owned_by(videos, user=user, owner_path="channel__user_id")
    ratio = DecimalField(max_digits=24, decimal_places=10)
    per_view = ExpressionWrapper(F("total_cost") / F("view_count"), output_field=ratio)
    per_thousand = ExpressionWrapper(F("total_cost") * 1000 / F("view_count"), output_field=ratio)
    videos = videos.select_related("channel").annotate(
        cost_per_view=Case(When(view_count__gt=0, then=per_view), default=None, output_field=ratio),
        cost_per_1k_views=Case(When(view_count__gt=0, then=per_thousand), default=None, output_field=ratio),
    )
    ordering = {
        "views": [F("view_count").desc(), F("published_at").desc()],
        "cost_per_view": [F("cost_per_view").asc(nulls_last=True), F("view_count").desc()],
        "revenue": [F("estimated_revenue").desc(nulls_last=True), F("view_count").desc()],
    }[order]
    return videos.order_by(*ordering, "pk")
