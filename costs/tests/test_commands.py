"""Management commands, tasks, the worker start-up hook and the metrics."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from prometheus_client import REGISTRY

from costs.models import Reservation, ReservationStatus, VideoCost
from costs.services import cost_record, cost_release, cost_reserve, counters
from costs.services.budget import budget_date_for, to_micros
from costs.tasks import cost_expire_holds_task, counters_rebuild_task, rebuild_counters_on_worker_ready
from costs.tests.factories import VideoFactory
from videos.models import Video
from videos.spending import video_charge

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def ledger_with_holds(committed):
    videos = [VideoFactory() for _ in range(3)]
    for i, video in enumerate(videos):
        hold = cost_reserve(video=video, service="openai", amount=D("0.30"))
        committed(cost_record, video=video, service="openai", amount=D("0.25") + i, reservation=hold)
        cost_reserve(video=video, service="tts", amount=D("0.15"))  # left open
    committed(cost_release, reservation=cost_reserve(video=videos[0], service="tts", amount=D("0.05")))
    return videos


def _snapshot(videos):
    day = budget_date_for()
    keys = [counters.day_key(day), counters.month_key(day)] + [counters.video_key(v.pk) for v in videos]
    return {k: counters.read(k) for k in keys}


def test_rebuild_after_deleting_the_redis_keys_equals_the_ledger(ledger_with_holds):
    before = _snapshot(ledger_with_holds)
    counters.delete_all()
    assert all(value is None for value in _snapshot(ledger_with_holds).values())
    out = StringIO()
    call_command("rebuild_cost_counters", stdout=out)
    assert "Rebuilt counters" in out.getvalue() and "3 open hold(s)" in out.getvalue()
    after = _snapshot(ledger_with_holds)
    assert after == before
    day = after[counters.day_key(budget_date_for())]
    assert day.recorded == to_micros(VideoCost.objects.aggregate(s=Sum("amount"))["s"])
    open_holds = Reservation.objects.filter(status=ReservationStatus.OPEN).aggregate(s=Sum("amount"))["s"]
    assert day.reserved == to_micros(open_holds) == to_micros(D("0.45"))
    # The rebuilt holds are still releasable through Redis.
    cost_release(reservation=Reservation.objects.filter(status=ReservationStatus.OPEN).first())


def test_rebuild_dry_run_writes_nothing(ledger_with_holds):
    counters.delete_all()
    out = StringIO()
    call_command("rebuild_cost_counters", "--dry-run", stdout=out)
    assert "Would rebuild" in out.getvalue()
    assert counters.read(counters.day_key(budget_date_for())) is None


def test_rebuild_with_redis_down_fails_with_a_clear_message(redis_down, db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Redis is unreachable"):
        call_command("rebuild_cost_counters", stdout=StringIO())


def test_backfill_recomputes_totals_with_progress_and_dry_run(ledger_with_holds):
    drifted = ledger_with_holds[1]
    Video.objects.filter(pk=drifted.pk).update(total_cost=D("9.99"), cost_breakdown={})
    out = StringIO()
    call_command("backfill_video_costs", "--dry-run", "--batch-size=2", stdout=out)
    assert "would change 1" in out.getvalue() and "[" in out.getvalue() and "3/3" in out.getvalue()
    drifted.refresh_from_db()
    assert drifted.total_cost == D("9.99")
    call_command("backfill_video_costs", stdout=StringIO())
    drifted.refresh_from_db()
    assert drifted.total_cost == D("1.25") and drifted.cost_breakdown == {"openai": "1.2500"}


def test_worker_ready_hook_and_tasks_rebuild_and_expire(ledger_with_holds, settings):
    counters.delete_all()
    rebuild_counters_on_worker_ready()
    assert counters.read(counters.day_key(budget_date_for())).reserved == to_micros(D("0.45"))
    counters.delete_all()
    assert counters_rebuild_task.delay().get() == {"videos": 3, "holds": 3}
    later = timezone.now() + timedelta(seconds=settings.COST_RESERVATION_TTL_SECONDS + 1)
    with time_machine.travel(later, tick=False):  # the workers that took the holds died
        assert cost_expire_holds_task.delay().get() == 3
    assert counters.read(counters.day_key(budget_date_for())).reserved == 0


def test_metrics_histogram_gauge_and_refusals(video, committed):
    def value(name, labels=None):
        return REGISTRY.get_sample_value(name, labels or {}) or 0

    refused_before = value("cost_reservations_refused_total", {"reason": "video_limit"})
    observed_before = value("cost_per_video_dollars_count")
    big_bucket_before = value("cost_per_video_dollars_bucket", {"le": "3.0"})
    hold = cost_reserve(video=video, service="tts", amount=D("3.00"))
    with pytest.raises(Exception, match="Cost limit exceeded"):
        cost_reserve(video=video, service="tts", amount=D("0.01"))
    assert value("cost_reservations_refused_total", {"reason": "video_limit"}) == refused_before + 1
    # Through the videos cost policy, which cancels the video at $3.00 (a final status is observed).
    committed(video_charge, video=video, service="tts", amount=D("3.00"), reservation=hold)
    assert value("cost_per_video_dollars_count") == observed_before + 1
    assert value("cost_per_video_dollars_bucket", {"le": "3.0"}) == big_bucket_before + 1
    assert value("cost_daily_spend_dollars") >= 3.0
