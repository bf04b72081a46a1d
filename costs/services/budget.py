"""Budget days and months: the clock every cost counter is keyed by, and the configured limits."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from ytempire.core.money import from_micros, to_micros

__all__ = [
    "budget_date_for",
    "budget_timezone",
    "daily_budget",
    "from_micros",
    "month_start",
    "monthly_budget",
    "next_budget_day_start",
    "next_month_start",
    "to_micros",
    "video_limit",
    "warning_threshold",
]


def budget_timezone() -> ZoneInfo:
    return ZoneInfo(getattr(settings, "COST_BUDGET_TIMEZONE", "UTC") or "UTC")


def budget_date_for(at: datetime | None = None) -> date:
    """The budget day ``at`` (default now) falls on, in COST_BUDGET_TIMEZONE."""
    return (at or timezone.now()).astimezone(budget_timezone()).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month_start(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def next_budget_day_start(at: datetime | None = None) -> datetime:
    """When the next budget day begins (an aware datetime): when a paused platform resumes."""
    tz = budget_timezone()
    day = budget_date_for(at) + timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=tz)


def daily_budget() -> Decimal:
    return Decimal(settings.DAILY_COST_BUDGET)


def monthly_budget() -> Decimal:
    return Decimal(settings.MONTHLY_COST_BUDGET)


def video_limit() -> Decimal:
    return Decimal(settings.MAX_COST_PER_VIDEO)


def warning_threshold() -> Decimal:
    return Decimal(settings.WARNING_COST_THRESHOLD)
