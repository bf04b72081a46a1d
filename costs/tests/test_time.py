"""Budget days: the last millisecond of a day, holds settled after midnight, other time zones."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from costs.models import VideoCost
from costs.selectors import cost_budget_status
from costs.services import (
    budget_date_for,
    cost_record,
    cost_reserve,
    counters,
    next_budget_day_start,
)
from costs.services.budget import to_micros

pytestmark = pytest.mark.django_db
D = Decimal
LAST_MS = datetime(2025, 3, 31, 23, 59, 59, 999000, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2025, 4, 1, 0, 0, 0, 500000, tzinfo=UTC)


def test_a_charge_at_the_last_millisecond_counts_for_that_day(video, committed):
    with time_machine.travel(LAST_MS, tick=False):
        hold = cost_reserve(video=video, service="openai", amount=D("0.20"))
        entry = committed(cost_record, video=video, service="openai", amount=D("0.20"), reservation=hold).entry
    assert entry.budget_date == date(2025, 3, 31)
    assert counters.read(counters.day_key(date(2025, 3, 31))).recorded == 200_000


def test_a_hold_settled_after_midnight_stays_on_the_day_it_was_made(video, committed):
    with time_machine.travel(LAST_MS, tick=False):
        hold = cost_reserve(video=video, service="tts", amount=D("0.50"))
    with time_machine.travel(AFTER_MIDNIGHT, tick=False):
        other = cost_reserve(video=video, service="tts", amount=D("0.10"))  # a new hold: the new day
        entry = committed(cost_record, video=video, service="tts", amount=D("0.40"), reservation=hold).entry
        status = cost_budget_status()
    assert entry.budget_date == date(2025, 3, 31) and entry.timestamp.date() == date(2025, 4, 1)
    assert other.budget_date == date(2025, 4, 1)
    march = counters.read(counters.day_key(date(2025, 3, 31)))
    april = counters.read(counters.day_key(date(2025, 4, 1)))
    assert (march.recorded, march.reserved) == (400_000, 0)
    assert (april.recorded, april.reserved) == (0, 100_000)
    assert (status.day, status.day_recorded, status.day_reserved) == (date(2025, 4, 1), D("0"), D("0.10"))
    # Different months: March's counter holds the charge, April's only the new hold.
    assert counters.read(counters.month_key(date(2025, 3, 1))).recorded == to_micros(D("0.40"))
    assert VideoCost.objects.get().budget_date == date(2025, 3, 31)


def test_the_budget_day_follows_cost_budget_timezone_across_dst(settings):
    settings.COST_BUDGET_TIMEZONE = "America/Los_Angeles"
    # 07:30 UTC on 10 March 2025 is 00:30 PDT (after the spring-forward): already the 10th.
    assert budget_date_for(datetime(2025, 3, 10, 7, 30, tzinfo=UTC)) == date(2025, 3, 10)
    # 07:30 UTC on 9 March 2025 is 23:30 PST: still the 8th.
    assert budget_date_for(datetime(2025, 3, 9, 7, 30, tzinfo=UTC)) == date(2025, 3, 8)
    resumes = next_budget_day_start(datetime(2025, 3, 9, 12, 0, tzinfo=UTC))
    assert resumes.astimezone(UTC) == datetime(2025, 3, 10, 7, 0, tzinfo=UTC)  # midnight PDT
