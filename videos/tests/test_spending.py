"""The cost policy (videos.spending): one door for every charge — thresholds, holds, the cost alert."""

from decimal import Decimal

import pytest

from costs.models import Reservation, ReservationStatus
from costs.services import CostLimitError, cost_reserve, counters
from videos import spending
from videos.models import VideoEvent, VideoStatus
from videos.tests.factories import VideoFactory
from ytempire.core.testing import race

D = Decimal


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Call a service and run its on_commit callbacks (the test's transaction never commits)."""

    def call(fn, /, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return call


@pytest.fixture
def video(db):
    return VideoFactory(status=VideoStatus.PROCESSING)


# --- thresholds (moved from the costs tests: the policy lives here now) ---------------------------


@pytest.mark.django_db
def test_exactly_the_limit_is_allowed_and_a_cent_more_is_not(video, committed):
    """300 charges of $0.01 reach $3.00 exactly; the 301st reservation is refused."""
    for _ in range(300):
        hold = cost_reserve(video=video, service="openai", amount=D("0.01"))
        committed(spending.video_charge, video=video, service="openai", amount=D("0.01"), reservation=hold)
    video.refresh_from_db()
    assert video.total_cost == D("3.00")
    with pytest.raises(CostLimitError):
        cost_reserve(video=video, service="openai", amount=D("0.01"))
    assert video.status == VideoStatus.CANCELLED
    assert video.error_message == "Cost limit exceeded: $3.00"


@pytest.mark.django_db
def test_warning_switches_to_economy_once_and_the_limit_cancels_once(video, committed):
    committed(spending.video_charge, video=video, service="openai", amount=D("2.40"))
    video.refresh_from_db()
    assert video.optimization_level == "standard"

    committed(spending.video_charge, video=video, service="openai", amount=D("0.10"))  # reaches 2.50
    committed(spending.video_charge, video=video, service="openai", amount=D("0.10"))
    video.refresh_from_db()
    assert video.optimization_level == "economy"
    assert "cost_warning_at" in video.metadata
    switches = VideoEvent.objects.filter(video=video, data__optimization_level__to="economy")
    assert switches.count() == 1

    committed(spending.video_charge, video=video, service="openai", amount=D("0.40"))  # 3.00
    committed(spending.video_charge, video=video, service="tts", amount=D("0.05"))  # a late charge still recorded
    video.refresh_from_db()
    assert video.status == VideoStatus.CANCELLED
    assert video.error_message == "Cost limit exceeded: $3.00"
    assert VideoEvent.objects.filter(video=video, to_status="cancelled").count() == 1
    assert video.total_cost == D("3.05")


@pytest.mark.django_db
def test_a_single_charge_past_both_thresholds_switches_and_stops_once(video, committed):
    committed(spending.video_charge, video=video, service="tts", amount=D("3.20"))
    video.refresh_from_db()
    assert video.optimization_level == "economy"
    assert video.status == VideoStatus.CANCELLED
    assert video.error_message == "Cost limit exceeded: $3.20"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_warning_and_hard_stop_happen_exactly_once_under_concurrency():
    video = VideoFactory(status=VideoStatus.PROCESSING)

    def step():
        hold = cost_reserve(video=video, service="openai", amount=D("0.10"))
        return spending.video_charge(video=video, service="openai", amount=D("0.10"), reservation=hold)

    results = race(step, 50, db_slots=20)
    recorded = [r for r in results if isinstance(r, Decimal)]
    assert len(recorded) == 30
    video.refresh_from_db()
    assert video.total_cost == D("3.00")
    assert video.status == VideoStatus.CANCELLED
    assert video.error_message == "Cost limit exceeded: $3.00"
    assert video.optimization_level == "economy"
    assert VideoEvent.objects.filter(video=video, to_status="cancelled").count() == 1
    assert VideoEvent.objects.filter(video=video, data__optimization_level__to="economy").count() == 1
    with pytest.raises(CostLimitError):
        cost_reserve(video=video, service="openai", amount=D("0.01"))


# --- spend(): reserve -> call -> record, or release ----------------------------------------------


@pytest.mark.django_db
def test_spend_records_against_its_hold(video, committed):
    def run():
        with spending.spend(video, service="openai", amount=D("0.50"), step="script") as charge:
            return charge.record(D("0.12"), metadata={"tokens": 4000})

    assert committed(run) == D("0.12")
    hold = Reservation.objects.get(video=video)
    assert hold.status == ReservationStatus.SETTLED and hold.ledger_entry.amount == D("0.12")
    assert counters.read(counters.video_key(video.pk)).reserved == 0


@pytest.mark.django_db
def test_spend_gives_the_hold_back_when_the_call_fails_or_records_nothing(video, committed):
    def failing():
        with spending.spend(video, service="tts", amount=D("0.40"), step="voice"):
            raise ConnectionError("vendor down")

    with pytest.raises(ConnectionError):
        committed(failing)

    def silent():
        with spending.spend(video, service="tts", amount=D("0.40"), step="voice"):
            pass

    committed(silent)
    assert set(Reservation.objects.filter(video=video).values_list("status", flat=True)) == {"released"}
    assert counters.read(counters.video_key(video.pk)).reserved == 0


@pytest.mark.django_db
def test_a_refused_hold_stops_the_video_before_the_vendor_is_called(video, committed):
    committed(spending.video_charge, video=video, service="openai", amount=D("2.95"))
    called = []
    with (
        pytest.raises(spending.SpendingRefusedError) as refused,
        spending.spend(video, service="tts", amount=D("0.10"), step="voice"),
    ):
        called.append(True)
    assert refused.value.outcome == "stopped" and called == []
    video.refresh_from_db()
    assert video.status == VideoStatus.CANCELLED
    assert "more needed for voice" in video.error_message


@pytest.mark.django_db
def test_an_exhausted_budget_parks_the_video_until_the_next_budget_day(video, settings, committed):
    settings.DAILY_COST_BUDGET = D("1.00")
    other = VideoFactory(status=VideoStatus.PROCESSING)
    committed(spending.video_charge, video=other, service="openai", amount=D("0.95"))
    with (
        pytest.raises(spending.SpendingRefusedError) as refused,
        spending.spend(video, service="tts", amount=D("0.10"), step="voice"),
    ):
        pass
    assert refused.value.outcome == "parked"
    video.refresh_from_db()
    assert video.status == VideoStatus.PROCESSING
    assert video.metadata["pipeline"]["wait"]["reason"] == "budget"
