"""Real threads against PostgreSQL and Redis: limits hold to the cent under concurrency."""

import random
from decimal import Decimal

import pytest
from django.db.models import Sum

from costs.models import Reservation, ReservationStatus, VideoCost
from costs.services import (
    BudgetExceededError,
    CostLimitError,
    RecordedCost,
    cost_record,
    cost_release,
    cost_reserve,
    counters,
)
from costs.services.budget import budget_date_for, to_micros
from costs.tests.factories import VideoFactory
from videos.models import Video
from ytempire.core.testing import race

# PostgreSQL is shared (max_connections 100 for everyone's test runs): at most this many threads
# hold a database connection at once; all are still released together.
DB_SLOTS = 20


def together(count: int, work) -> list:
    return race(work, count, indexed=True, db_slots=DB_SLOTS)


pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
D = Decimal


def _open_holds(**filters) -> Decimal:
    return Reservation.objects.filter(status=ReservationStatus.OPEN, **filters).aggregate(s=Sum("amount"))["s"] or D(0)


def _granted(results) -> list[Reservation]:
    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, CostLimitError | BudgetExceededError)
    ]
    assert unexpected == []
    return [r for r in results if isinstance(r, Reservation)]


@pytest.mark.parametrize("round_", range(3))
def test_fifty_barrier_released_reservations_on_one_video_stop_at_the_limit(round_):
    video = VideoFactory()
    results = together(50, lambda i: cost_reserve(video=video, service="tts", amount=D("0.07")))
    granted = _granted(results)
    assert len(granted) == 42  # 42 x 0.07 = 2.94; a 43rd would be 3.01
    assert sum(r.amount for r in granted) == D("2.94")
    assert sum(isinstance(r, CostLimitError) for r in results) == 8
    assert counters.read(counters.video_key(video.pk)).reserved == to_micros(_open_holds(video=video))


def test_mixed_amounts_never_pass_three_dollars_to_the_cent():
    video = VideoFactory()
    rng = random.Random(7)
    amounts = [D(rng.randint(1, 25)) / 100 for _ in range(50)]
    results = together(50, lambda i: cost_reserve(video=video, service="openai", amount=amounts[i]))
    granted = _granted(results)
    total = sum(r.amount for r in granted)
    assert total <= D("3.00")
    # Refused whole: every refused amount would indeed have passed the limit after the grants.
    refused = [amounts[i] for i, r in enumerate(results) if isinstance(r, CostLimitError)]
    assert all(total + amount > D("3.00") for amount in refused)
    assert _open_holds(video=video) == total


def test_two_hundred_reservations_on_one_video():
    video = VideoFactory()
    results = together(200, lambda i: cost_reserve(video=video, service="tts", amount=D("0.02")))
    assert len(_granted(results)) == 150  # exactly $3.00


def test_two_hundred_reservations_across_videos_near_the_daily_budget(settings):
    settings.DAILY_COST_BUDGET = D("10.00")
    videos = [VideoFactory() for _ in range(20)]
    # $9.00 already spent today (those three videos hit their limit and stop): $1.00 of headroom
    # left for 170 competing $0.10 holds on the other 17 videos.
    for video in videos[:3]:
        cost_record(video=video, service="rendering", amount=D("3.00"))
    results = together(200, lambda i: cost_reserve(video=videos[i % 20], service="tts", amount=D("0.10")))
    granted = _granted(results)
    assert len(granted) == 10
    budget_refusals = [r for r in results if isinstance(r, BudgetExceededError)]
    assert len(budget_refusals) == 160 and budget_refusals[0].message == "Daily cost budget reached"
    assert sum(isinstance(r, CostLimitError) for r in results) == 30  # the stopped videos
    day = budget_date_for()
    day_counter = counters.read(counters.day_key(day))
    assert day_counter.recorded + day_counter.reserved == to_micros(D("10.00"))


def test_with_redis_stopped_the_database_still_enforces_under_concurrency(redis_down, settings):
    settings.DAILY_COST_BUDGET = D("4.00")
    video = VideoFactory()
    results = together(50, lambda i: cost_reserve(video=video, service="tts", amount=D("0.07")))
    granted = _granted(results)
    assert len(granted) == 42 and {r.backend for r in granted} == {"database"}
    # Near the daily budget: $2.94 held, $1.06 left for 30 competing $0.10 holds on 10 videos.
    others = [VideoFactory() for _ in range(10)]
    results = together(30, lambda i: cost_reserve(video=others[i % 10], service="tts", amount=D("0.10")))
    assert len(_granted(results)) == 10
    assert _open_holds() == D("3.94")


def test_after_a_mixed_run_counters_equal_the_ledger_and_the_open_holds(settings):
    """Steps that spend less than held, fail (release), die (hold left open) and a cancelled video."""
    settings.DAILY_COST_BUDGET = D("20.00")
    videos = [VideoFactory() for _ in range(5)]
    rng = random.Random(11)
    plan = [
        (videos[i % 5], rng.choice(["record", "record", "release", "abandon"]), rng.randint(5, 40)) for i in range(60)
    ]

    def step(i):
        video, outcome, cents = plan[i]
        hold = cost_reserve(video=video, service="openai", amount=D(cents) / 100)
        if outcome == "record":
            return cost_record(video=video, service="openai", amount=D(cents) / 200, reservation=hold)
        if outcome == "release":
            cost_release(reservation=hold)
        return hold

    results = together(60, step)
    _granted([r for r in results if not isinstance(r, RecordedCost)])
    day = budget_date_for()
    for video in videos:
        counter = counters.read(counters.video_key(video.pk))
        ledger = VideoCost.objects.filter(video=video).aggregate(s=Sum("amount"))["s"] or D(0)
        assert counter.recorded == to_micros(ledger)
        assert counter.reserved == to_micros(_open_holds(video=video))
        assert Video.objects.get(pk=video.pk).total_cost == ledger
    day_counter = counters.read(counters.day_key(day))
    assert day_counter.recorded == to_micros(VideoCost.objects.aggregate(s=Sum("amount"))["s"])
    assert day_counter.reserved == to_micros(_open_holds())
    month_counter = counters.read(counters.month_key(day))
    assert (month_counter.recorded, month_counter.reserved) == (day_counter.recorded, day_counter.reserved)
