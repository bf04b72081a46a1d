"""Services: estimate, reserve/record/release, limits, warning and hard stop, corrections, expiry."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from costs.models import LedgerIsAppendOnlyError, Reservation, ReservationStatus, ServiceRate, VideoCost
from costs.selectors import cost_budget_paused, cost_budget_status
from costs.services import (
    BudgetExceededError,
    CostLimitError,
    CostValidationError,
    budget_date_for,
    cost_correct,
    cost_expire_holds,
    cost_record,
    cost_release,
    cost_reserve,
    cost_video_total,
    counters,
    estimate_video_cost,
)
from costs.tests.factories import VideoFactory
from videos.models import VideoStatus

pytestmark = pytest.mark.django_db
D = Decimal


# --- prices and estimate -----------------------------------------------------------------------


def test_seeded_rates_match_the_seed_price_table():
    prices = {(r.service, r.model): r.price for r in ServiceRate.objects.all()}
    assert prices[("openai", "gpt-3.5-turbo")] == D("0.0020")
    assert prices[("openai", "gpt-4")] == D("0.0300")
    assert prices[("tts", "google")] == D("0.0160")
    assert prices[("tts", "elevenlabs")] == D("0.3000")
    assert {"rendering", "thumbnail", "upload"} <= {service for service, _ in prices}


def test_estimate_is_an_upper_bound_per_level_and_follows_rate_edits():
    economy = estimate_video_cost(level="economy")
    standard = estimate_video_cost(level="standard")
    premium = estimate_video_cost(level="premium")
    assert economy.config["openai"] == "gpt-3.5-turbo"
    assert economy.config["tts"] == "google"
    assert economy.config["video_quality"] == "720p"
    assert economy.config["effects"] == "minimal"
    assert premium.config["openai"] == "gpt-4" and premium.config["tts"] == "elevenlabs"
    # 8k tokens of gpt-3.5 (0.016 -> 0.02), 6k chars of Google TTS (0.096 -> 0.10), 10 min of 720p ...
    assert economy.breakdown == {
        "openai": D("0.02"),
        "tts": D("0.10"),
        "rendering": D("0.10"),
        "thumbnail": D("0.01"),
        "upload": D("0.01"),
    }
    assert economy.total == sum(economy.breakdown.values()) == D("0.24")
    assert economy.total < standard.total < premium.total <= D("3.00")
    assert premium.breakdown["tts"] == D("1.80")  # 6k chars x $0.30

    rate = ServiceRate.objects.get(service="tts", model="elevenlabs")
    rate.price = D("0.2000")
    rate.save()  # the admin saves the row: the cached rate table is dropped
    assert estimate_video_cost(level="premium").breakdown["tts"] == D("1.20")


def test_estimate_refuses_an_unknown_level():
    with pytest.raises(CostValidationError, match="Unknown optimization level"):
        estimate_video_cost(level="luxury")


# --- reserve / record / release -----------------------------------------------------------------


def test_record_settles_the_hold_and_projects_the_video(video, committed):
    hold = cost_reserve(video=video, service="openai", amount=D("0.50"))
    assert hold.status == ReservationStatus.OPEN
    recorded = committed(
        cost_record, video=video, service="openai", amount=D("0.3125"), reservation=hold, metadata={"tokens": 5}
    )
    entry = recorded.entry
    assert recorded.video_total == D("0.3125")
    committed(cost_record, video=video, service="tts", amount=D("0.10"))

    hold.refresh_from_db()
    video.refresh_from_db()
    assert hold.status == ReservationStatus.SETTLED
    assert entry.reservation_id == hold.pk and entry.metadata == {"tokens": 5}
    assert video.total_cost == D("0.4125") == cost_video_total(video=video)
    assert video.cost_breakdown == {"openai": "0.3125", "tts": "0.1000"}
    counter = counters.read(counters.video_key(video.pk))
    assert (counter.recorded, counter.reserved) == (412_500, 0)


def test_recording_the_same_reservation_twice_returns_the_first_row(video, committed):
    hold = cost_reserve(video=video, service="openai", amount=D("0.50"))
    first = committed(cost_record, video=video, service="openai", amount=D("0.20"), reservation=hold).entry
    again = committed(cost_record, video=video, service="openai", amount=D("0.20"), reservation=hold).entry
    assert again.pk == first.pk
    assert VideoCost.objects.count() == 1


def test_release_gives_the_hold_back_and_money_spent_later_is_still_recorded(video, committed):
    hold = cost_reserve(video=video, service="tts", amount=D("2.00"))
    with pytest.raises(CostLimitError):
        cost_reserve(video=video, service="tts", amount=D("1.01"))
    committed(cost_release, reservation=hold)
    committed(cost_release, reservation=hold)  # idempotent
    assert counters.read(counters.video_key(video.pk)).reserved == 0
    cost_reserve(video=video, service="tts", amount=D("1.00"))
    # The vendor call that held it finished after the release (the video was stopped mid-call):
    # the money was spent, so the ledger records it; the released hold stays released.
    recorded = committed(cost_record, video=video, service="tts", amount=D("0.50"), reservation=hold)
    assert recorded.entry.amount == D("0.50") and recorded.video_total == D("0.50")
    hold.refresh_from_db()
    assert hold.status == ReservationStatus.RELEASED
    counter = counters.read(counters.video_key(video.pk))
    assert (counter.recorded, counter.reserved) == (500_000, 1_000_000)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (D("0"), "greater than zero"),
        (D("-1"), "negative"),
        (D("0.00001"), "4 decimal places"),
        (0.5, "not a float"),
        ("abc", "decimal number"),
        (D("NaN"), "finite"),
    ],
)
def test_bad_amounts_are_refused_and_change_nothing(video, amount, message):
    with pytest.raises(CostValidationError, match=message):
        cost_reserve(video=video, service="openai", amount=amount)
    assert Reservation.objects.count() == 0
    assert counters.read(counters.video_key(video.pk)) is None


def test_a_stopped_video_cannot_reserve(db):
    video = VideoFactory(status=VideoStatus.CANCELLED)
    with pytest.raises(CostLimitError, match="cancelled"):
        cost_reserve(video=video, service="openai", amount=D("0.01"))


def test_a_refusal_is_whole_never_shrunk_to_the_headroom(video):
    cost_reserve(video=video, service="tts", amount=D("2.99"))
    with pytest.raises(CostLimitError) as refused:
        cost_reserve(video=video, service="tts", amount=D("0.02"))
    assert refused.value.status_code == 409
    assert refused.value.extra["limit"] == "3.00"
    assert counters.read(counters.video_key(video.pk)).reserved == 2_990_000
    assert Reservation.objects.count() == 1
    cost_reserve(video=video, service="tts", amount=D("0.01"))


# --- corrections and append-only ---------------------------------------------------------------------


def test_ledger_rows_cannot_be_changed_or_deleted(video, committed):
    entry = committed(cost_record, video=video, service="openai", amount=D("0.10")).entry
    entry.amount = D("0.01")
    with pytest.raises(LedgerIsAppendOnlyError):
        entry.save()
    with pytest.raises(LedgerIsAppendOnlyError):
        entry.delete()
    assert VideoCost.objects.get().amount == D("0.10")


def test_a_correction_is_a_negative_row_with_a_reason(video, committed):
    hold = cost_reserve(video=video, service="openai", amount=D("0.40"))
    entry = committed(cost_record, video=video, service="openai", amount=D("0.40"), reservation=hold).entry
    assert counters.read(counters.day_key(entry.budget_date)).recorded == 400_000
    with pytest.raises(CostValidationError):
        committed(cost_correct, entry=entry, reason=" ")
    correction = committed(cost_correct, entry=entry, reason="vendor refund", actor="ops@example.com")
    assert correction.amount == D("-0.40")
    assert correction.metadata == {
        "correction_of": str(entry.pk),
        "reason": "vendor refund",
        "actor": "ops@example.com",
    }
    assert correction.budget_date == entry.budget_date
    video.refresh_from_db()
    assert video.total_cost == D("0") and cost_video_total(video=video) == D("0")
    assert counters.read(counters.day_key(entry.budget_date)).recorded == 0


# --- expiry and budget ---------------------------------------------------------------------------------


def test_holds_of_a_dead_worker_expire_after_their_ttl(video, settings):
    settings.COST_RESERVATION_TTL_SECONDS = 60
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        cost_reserve(video=video, service="tts", amount=D("3.00"))
        with pytest.raises(CostLimitError):
            cost_reserve(video=video, service="tts", amount=D("0.01"))
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        # The Lua script sweeps the expired hold before checking.
        cost_reserve(video=video, service="tts", amount=D("1.00"))
        assert counters.read(counters.video_key(video.pk)).reserved == 1_000_000
        assert cost_expire_holds() == 1
    assert Reservation.objects.filter(status=ReservationStatus.EXPIRED).count() == 1


def test_daily_budget_pauses_the_platform(settings, db, committed):
    settings.DAILY_COST_BUDGET = D("1.00")
    first, second = VideoFactory(), VideoFactory()
    assert cost_budget_paused() is False
    hold = cost_reserve(video=first, service="tts", amount=D("0.60"))
    with pytest.raises(BudgetExceededError, match="Daily cost budget reached") as refused:
        cost_reserve(video=second, service="tts", amount=D("0.41"))
    assert refused.value.status_code == 403
    assert "resumes_at" in refused.value.extra
    cost_reserve(video=second, service="tts", amount=D("0.40"))
    assert cost_budget_paused() is True
    status = cost_budget_status()
    assert (status.day_reserved, status.source) == (D("1.00"), "redis")
    committed(cost_release, reservation=hold)
    assert cost_budget_paused() is False


def test_monthly_budget_is_enforced(settings, video):
    settings.MONTHLY_COST_BUDGET = D("0.50")
    cost_reserve(video=video, service="tts", amount=D("0.50"))
    with pytest.raises(BudgetExceededError, match="Monthly cost budget reached"):
        cost_reserve(video=VideoFactory(), service="tts", amount=D("0.01"))


@pytest.mark.django_db(transaction=True)
def test_a_read_fills_unknown_budget_counters_from_the_database_once():
    """A new budget day before its first hold, or a flushed Redis: the first read answers from the
    database and initialises the day's and month's counters, so later reads stay in Redis."""
    video = VideoFactory()
    today = budget_date_for()
    with transaction.atomic():
        cost_record(video=video, service="tts", amount=D("0.40"))
    counters.delete_all()
    with transaction.atomic():  # a snapshot that may still roll back never becomes a counter
        assert cost_budget_status().source == "database"
    assert counters.read(counters.day_key(today)) is None

    first, second = cost_budget_status(), cost_budget_status()
    assert (first.source, first.day_recorded, first.month_recorded) == ("database", D("0.40"), D("0.40"))
    assert (second.source, second.day_recorded, second.month_recorded) == ("redis", D("0.40"), D("0.40"))
    assert counters.read(counters.day_key(today)) == counters.Counter(recorded=400_000, reserved=0)
    # A hold after the read counts on top of the filled counter (init never overwrites it).
    with transaction.atomic():
        cost_reserve(video=video, service="tts", amount=D("0.10"))
    assert cost_budget_status().day_total == D("0.50")


# --- Redis down: the database enforces ---------------------------------------------------------------------


def test_with_redis_down_the_database_enforces_the_same_rules(redis_down, video, settings, committed):
    settings.DAILY_COST_BUDGET = D("5.00")
    hold = cost_reserve(video=video, service="tts", amount=D("2.50"))
    assert hold.backend == "database"
    with pytest.raises(CostLimitError):
        cost_reserve(video=video, service="tts", amount=D("0.51"))
    committed(cost_record, video=video, service="tts", amount=D("2.00"), reservation=hold)  # counters skipped, DB truth
    cost_reserve(video=video, service="tts", amount=D("1.00"))
    other = VideoFactory()
    cost_reserve(video=other, service="tts", amount=D("1.99"))
    with pytest.raises(BudgetExceededError):
        cost_reserve(video=other, service="tts", amount=D("0.02"))
    status = cost_budget_status()
    assert status.source == "database"
    assert status.day_total == D("4.99")


def test_after_an_outage_the_counters_are_rebuilt_before_redis_is_trusted_again(settings, video):
    """A hold taken through the database while Redis was down still counts when Redis is back."""
    import copy

    healthy = copy.deepcopy(settings.CACHES)
    cost_reserve(video=video, service="tts", amount=D("0.50"))  # counters ready in Redis
    down = copy.deepcopy(healthy)
    down["counters"]["LOCATION"] = "redis://127.0.0.1:1/0"
    settings.CACHES = down
    assert cost_reserve(video=video, service="tts", amount=D("2.00")).backend == "database"
    settings.CACHES = healthy
    with pytest.raises(CostLimitError):
        cost_reserve(video=video, service="tts", amount=D("0.51"))
    assert counters.read(counters.video_key(video.pk)).reserved == 2_500_000
    assert cost_reserve(video=video, service="tts", amount=D("0.50")).backend == "redis"


def test_demo_data_is_idempotent(db):
    from accounts.tests.factories import UserFactory
    from costs.demo import create_demo_data

    staff, customer = UserFactory(is_staff=True), UserFactory()
    assert "no demo videos" in create_demo_data(staff=staff, customer=customer)
    VideoFactory(channel__user=customer, status="published", metadata={"demo": True})
    first = create_demo_data(staff=staff, customer=customer)
    count = VideoCost.objects.count()
    assert "demo ledger rows" in first and count == 5  # one per step of a published video
    assert "already loaded" in create_demo_data(staff=staff, customer=customer)
    assert VideoCost.objects.count() == count
