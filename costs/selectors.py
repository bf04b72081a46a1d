"""Reads of the costs app: budget status, summaries, daily rows and a video's ledger, scoped to the caller."""

import contextlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from redis.exceptions import RedisError

from costs.models import VideoCost
from costs.services import budget_date_for, counters, estimate_video_cost
from costs.services.budget import daily_budget, from_micros, monthly_budget
from costs.services.counter_sync import db_totals, init_budget_counters
from videos.models import Video
from ytempire.core.exceptions import NotFoundError
from ytempire.core.money import ZERO, money
from ytempire.core.visibility import owned_by

VIDEO_NOT_FOUND = "Video not found"


@dataclass(frozen=True)
class BudgetStatus:
    day: date
    day_recorded: Decimal
    day_reserved: Decimal
    month_recorded: Decimal
    month_reserved: Decimal
    daily_budget: Decimal
    monthly_budget: Decimal
    source: str

    @property
    def day_total(self) -> Decimal:
        return self.day_recorded + self.day_reserved

    @property
    def month_total(self) -> Decimal:
        return self.month_recorded + self.month_reserved

    @property
    def left(self) -> Decimal:
        """What may still be spent today (the tighter of the day and the month)."""
        return max(Decimal(0), min(self.daily_budget - self.day_total, self.monthly_budget - self.month_total))

    @property
    def paused(self) -> bool:
        return self.day_total >= self.daily_budget or self.month_total >= self.monthly_budget


def _read_counters(*keys: str) -> list[counters.Counter | None]:
    """counters.read of several counters in one Redis round trip (None: a counter not ready)."""
    try:
        pipe = counters.client().pipeline(transaction=False)
        for counter_key in keys:
            pipe.hmget(counter_key, "recorded", "reserved", "ready")
        rows = pipe.execute()
    except RedisError as exc:
        raise counters.CountersUnavailableError(f"redis: {exc.__class__.__name__}") from exc
    return [
        None if values[2] is None else counters.Counter(recorded=int(values[0] or 0), reserved=int(values[1] or 0))
        for values in rows
    ]


def cost_budget_status(*, at: datetime | None = None) -> BudgetStatus:
    """Today's and this month's recorded + reserved spend (Redis when ready, else the database)."""
    at = at or timezone.now()
    day = budget_date_for(at)
    try:
        day_counter, month_counter = _read_counters(counters.day_key(day), counters.month_key(day))
        reachable = True
    except counters.CountersUnavailableError:
        day_counter = month_counter = None
        reachable = False
    if day_counter is not None and month_counter is not None:
        return BudgetStatus(
            day=day,
            day_recorded=from_micros(day_counter.recorded),
            day_reserved=from_micros(day_counter.reserved),
            month_recorded=from_micros(month_counter.recorded),
            month_reserved=from_micros(month_counter.reserved),
            daily_budget=daily_budget(),
            monthly_budget=monthly_budget(),
            source="redis",
        )
    totals = db_totals(video_id=uuid.UUID(int=0), day=day, now=at)
    if reachable and not connection.in_atomic_block:
        # Unknown counters (a new budget day before its first hold, or Redis flushed): fill them
        # from this one snapshot, as a hold would, so the next reads stay off the database. Only
        # outside a transaction: a snapshot that may still roll back never becomes a counter.
        with contextlib.suppress(counters.CountersUnavailableError):
            init_budget_counters(day=day, totals=totals)
    return BudgetStatus(
        day=day,
        day_recorded=totals.day_recorded,
        day_reserved=totals.day_reserved,
        month_recorded=totals.month_recorded,
        month_reserved=totals.month_reserved,
        daily_budget=daily_budget(),
        monthly_budget=monthly_budget(),
        source="database",
    )


def cost_budget_paused(*, at: datetime | None = None) -> bool:
    """True when the budget day's (or month's) recorded + reserved spend has reached its budget.

    While paused, generate answers 403 "Daily cost budget reached" and videos wait for the next
    budget day."""
    return cost_budget_status(at=at).paused


def _ledger_for(user) -> QuerySet[VideoCost]:
    """Role admin sees the platform; a user sees the ledger of their own channels' videos."""
    return owned_by(VideoCost.objects.all(), user=user, owner_path="video__channel__user_id")


def cost_summary(*, user, day: date | None = None) -> dict:
    """The seed's summary: date, total_cost, by_service, budget_remaining, videos_remaining.

    total_cost and by_service add up the ledger of the budget day (the caller's videos, or the
    platform for role admin); budget_remaining is the platform's daily budget minus everything
    recorded and held today; videos_remaining is how many standard videos (at their
    pessimistic estimate) still fit.
    """
    day = day or budget_date_for()
    ledger = _ledger_for(user).filter(budget_date=day)
    if user.is_platform_admin:  # the whole platform's day: let PostgreSQL add it up (two queries)
        by_service = {
            row["service"]: money(row["total"])
            for row in ledger.values("service").annotate(total=Sum("amount")).order_by("service")
        }
        video_count = ledger.values("video_id").distinct().count()
    else:  # a customer's day (a few videos): one query, a row per (service, video), added up here
        totals: dict[str, Decimal] = {}
        videos = set()
        for service, video_id, total in (
            ledger.values_list("service", "video_id").annotate(total=Sum("amount")).order_by("service")
        ):
            totals[service] = totals.get(service, ZERO) + total
            videos.add(video_id)
        by_service = {service: money(total) for service, total in totals.items()}
        video_count = len(videos)
    status = cost_budget_status()
    budget = daily_budget()
    remaining = max(Decimal(0), budget - status.day_total) if day == status.day else None
    per_video = estimate_video_cost(level="standard").total
    return {
        "date": day,
        "scope": "platform" if user.is_platform_admin else "user",
        "total_cost": sum(by_service.values(), ZERO),
        "by_service": by_service,
        "video_count": video_count,
        "daily_budget": budget,
        "reserved": status.day_reserved if user.is_platform_admin else None,
        "budget_remaining": remaining,
        "videos_remaining": int(remaining // per_video) if remaining is not None and per_video else None,
        "paused": status.paused,
    }


def cost_daily(*, user, date_from: date, date_to: date) -> list[dict]:
    """One row per budget day from ``date_from`` to ``date_to`` (inclusive), empty days included."""
    ledger = _ledger_for(user).filter(budget_date__gte=date_from, budget_date__lte=date_to)
    rows: dict[date, dict] = {}
    day = date_from
    while day <= date_to:
        rows[day] = {"date": day, "total_cost": ZERO, "by_service": {}, "video_count": 0}
        day += timedelta(days=1)
    for item in (
        ledger.values("budget_date", "service").annotate(total=Sum("amount")).order_by("budget_date", "service")
    ):
        row = rows[item["budget_date"]]
        row["by_service"][item["service"]] = money(item["total"])
        row["total_cost"] += item["total"]
    for item in ledger.values("budget_date").annotate(videos=Count("video_id", distinct=True)).order_by():
        rows[item["budget_date"]]["video_count"] = item["videos"]
    for row in rows.values():
        row["total_cost"] = money(row["total_cost"])
    return list(rows.values())


def cost_video_get(*, user, video_id) -> Video:
    """The video if the caller owns it (or is role admin); NotFoundError otherwise."""
    qs = owned_by(Video.objects.all(), user=user, owner_path="channel__user_id")
    video = qs.filter(pk=video_id).only("id", "total_cost", "cost_breakdown", "status").first()
    if video is None:
        raise NotFoundError(VIDEO_NOT_FOUND)
    return video


def cost_video_ledger(*, video: Video) -> QuerySet[VideoCost]:
    return VideoCost.objects.filter(video_id=video.pk).order_by("-timestamp", "id")


def cost_daily_report(*, days: int = 30, today: date | None = None) -> list[dict]:
    """The platform's last ``days`` budget days with spend against the daily budget (admin report)."""
    today = today or budget_date_for()
    budget = daily_budget()
    rows = cost_daily(user=_PlatformViewer(), date_from=today - timedelta(days=days - 1), date_to=today)
    for row in rows:
        row["budget"] = budget
        row["percent"] = min(Decimal(100), (row["total_cost"] / budget * 100).quantize(Decimal("0.1"))) if budget else 0
        row["over_budget"] = row["total_cost"] > budget
    return rows


class _PlatformViewer:
    is_platform_admin = True
    pk = None
