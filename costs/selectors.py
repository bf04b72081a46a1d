"""Reads of the costs app: summaries, daily rows and a video's ledger, scoped to the caller."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from costs.models import VideoCost
from costs.services import budget_date_for, cost_budget_status, estimate_video_cost
from costs.services.budget import daily_budget
from videos.models import Video
from ytempire.core.exceptions import NotFoundError

ZERO = Decimal("0.0000")
VIDEO_NOT_FOUND = "Video not found"


def _ledger_for(user) -> QuerySet[VideoCost]:
    """Role admin sees the platform; a user sees the ledger of their own channels' videos."""
    qs = VideoCost.objects.all()
    return qs if user.is_platform_admin else qs.filter(video__channel__user_id=user.pk)


def cost_summary(*, user, day: date | None = None) -> dict:
    """The seed's summary: date, total_cost, by_service, budget_remaining, videos_remaining.

    total_cost and by_service add up the ledger of the budget day (the caller's videos, or the
    platform for role admin); budget_remaining is the platform's daily budget minus everything
    recorded and held today; videos_remaining is how many standard videos (at their
    pessimistic estimate) still fit.
    """
    day = day or budget_date_for()
    ledger = _ledger_for(user).filter(budget_date=day)
    by_service = {
        row["service"]: row["total"].quantize(ZERO)
        for row in ledger.values("service").annotate(total=Sum("amount")).order_by("service")
    }
    video_count = ledger.values("video_id").distinct().count()
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
        row["by_service"][item["service"]] = item["total"].quantize(ZERO)
        row["total_cost"] += item["total"]
    for item in ledger.values("budget_date").annotate(videos=Count("video_id", distinct=True)).order_by():
        rows[item["budget_date"]]["video_count"] = item["videos"]
    for row in rows.values():
        row["total_cost"] = row["total_cost"].quantize(ZERO)
    return list(rows.values())


def cost_video_get(*, user, video_id) -> Video:
    """The video if the caller owns it (or is role admin); NotFoundError otherwise."""
    qs = Video.objects.all() if user.is_platform_admin else Video.objects.filter(channel__user_id=user.pk)
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
