"""Budget days and months: the clock every cost counter is keyed by."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

MICROS = Decimal(1_000_000)


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


def to_micros(amount: Decimal) -> int:
    """Dollars (Decimal, at most 4 places) to integer micro-dollars, exactly."""
    return int((Decimal(amount) * MICROS).to_integral_exact())


def from_micros(micros: int) -> Decimal:
    return (Decimal(int(micros)) / MICROS).quantize(Decimal("0.0001"))


def daily_budget() -> Decimal:
    return Decimal(settings.DAILY_COST_BUDGET)


def monthly_budget() -> Decimal:
    return Decimal(settings.MONTHLY_COST_BUDGET)


def video_limit() -> Decimal:
    return Decimal(settings.MAX_COST_PER_VIDEO)


def warning_threshold() -> Decimal:
    return Decimal(settings.WARNING_COST_THRESHOLD)
