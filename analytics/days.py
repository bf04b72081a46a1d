"""The clocks analytics reads by, named once (see analytics.models for which field follows which).

- UTC day: videos created/published, snapshots, the dashboard's "today".
- Budget day: ``costs.services.budget_date_for`` (settings.COST_BUDGET_TIMEZONE, UTC by default).
- YouTube's day: America/Los_Angeles (``youtube_pool.conf.pacific_day_start``): quota and revenue.
"""

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

ONE_DAY = dt.timedelta(days=1)


def utc_today(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(dt.UTC).date()


def utc_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a UTC day as aware datetimes."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    return start, start + ONE_DAY


def days_between(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """Every day from ``first`` to ``last`` inclusive (nothing when first > last)."""
    day = first
    while day <= last:
        yield day
        day += ONE_DAY
