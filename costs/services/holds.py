"""Holds: money a step is about to spend, reserved against the video, day and month limits.

Redis is the fast path and the database the truth. A reservation is checked and taken against
the video, day and month counters in one Lua script; when Redis is unreachable the same check
runs in the database under row locks (the month and day lock rows, then the video row), so
enforcement fails closed, never open.
"""

import logging
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from costs import metrics
from costs.models import Reservation, ReservationBackend, ReservationStatus
from videos.models import FINAL_STATUSES, Video
from ytempire.core.exceptions import ApplicationError, NotFoundError

from . import counters
from .budget import (
    budget_date_for,
    daily_budget,
    from_micros,
    monthly_budget,
    next_budget_day_start,
    to_micros,
    video_limit,
)
from .counter_sync import (
    db_totals,
    init_counters,
    lock_budget_rows,
    mark_degraded,
    rebuild_if_degraded,
    settle_counters,
    sweep_expired_holds,
)
from .errors import BudgetExceededError, CostLimitError
from .validation import validate_amount, validate_service

logger = logging.getLogger(__name__)

_WHICH = {1: "video_limit", 2: "daily_budget", 3: "monthly_budget"}


def _reservation_ttl() -> int:
    return int(getattr(settings, "COST_RESERVATION_TTL_SECONDS", 30 * 60))


def _refuse(which: str, *, current: Decimal, amount: Decimal, at: datetime) -> ApplicationError:
    metrics.RESERVATIONS_REFUSED.labels(reason=which).inc()
    extra = {"requested": f"{amount:.4f}", "current": f"{current:.4f}"}
    if which == "video_limit":
        limit = video_limit()
        return CostLimitError(
            f"Cost limit exceeded: ${current + amount:.2f} would pass the ${limit:.2f} limit per video",
            extra={**extra, "limit": f"{limit:.2f}"},
        )
    if which == "daily_budget":
        return BudgetExceededError(
            "Daily cost budget reached",
            extra={**extra, "limit": f"{daily_budget():.2f}", "resumes_at": next_budget_day_start(at).isoformat()},
        )
    return BudgetExceededError("Monthly cost budget reached", extra={**extra, "limit": f"{monthly_budget():.2f}"})


def _refuse_stopped(status: str) -> CostLimitError:
    metrics.RESERVATIONS_REFUSED.labels(reason="video_stopped").inc()
    return CostLimitError(f"Video is {status}; it cannot spend more", extra={"status": status})


def cost_reserve(*, video: Video, service: str, amount: Decimal, metadata: dict | None = None) -> Reservation:
    """Hold ``amount`` for a step of ``video`` before the vendor is called.

    Granted only if the video's recorded + reserved total stays <= MAX_COST_PER_VIDEO and the
    budget day's and month's stay <= DAILY/MONTHLY_COST_BUDGET; otherwise refused whole with
    CostLimitError (409) or BudgetExceededError (403), and nothing is held. A video in a final
    status (cancelled, failed, published) cannot reserve. The hold expires after
    COST_RESERVATION_TTL_SECONDS unless settled (cost_record) or released (cost_release).
    """
    amount = validate_amount(amount, allow_zero=False)
    service = validate_service(service)
    status = Video.objects.filter(pk=video.pk).values_list("status", flat=True).first()
    if status is None:
        raise NotFoundError("Video not found")
    if status in FINAL_STATUSES:
        raise _refuse_stopped(status)
    now = timezone.now()
    reservation = Reservation(
        id=uuid.uuid4(),
        video_id=video.pk,
        service=service,
        amount=amount,
        budget_date=budget_date_for(now),
        created_at=now,
        expires_at=now + timedelta(seconds=_reservation_ttl()),
        metadata=metadata or {},
        backend=ReservationBackend.REDIS,
    )
    reservation.full_clean(exclude=["video"])
    if not counters.redis_configured():  # the embedded default (local-memory cache): the database enforces
        return _reserve_in_database(reservation, now=now)
    try:
        _reserve_in_redis(reservation, now=now)
    except counters.CountersUnavailableError as exc:
        logger.warning("cost counters unavailable, enforcing through the database", extra={"error": str(exc)})
        metrics.REDIS_FALLBACKS.inc()
        mark_degraded()
        return _reserve_in_database(reservation, now=now)
    try:
        reservation.save(force_insert=True)
    except Exception:
        settle_counters(
            reservation_id=reservation.pk, video_id=video.pk, day=reservation.budget_date, micros=0, now=now
        )
        raise
    return reservation


def _reserve_in_redis(reservation: Reservation, *, now: datetime) -> None:
    rebuild_if_degraded()
    day = reservation.budget_date
    keys = [
        counters.video_key(reservation.video_id),
        counters.day_key(day),
        counters.month_key(day),
        counters.holds_key(),
        counters.hold_key(reservation.pk),
    ]
    args = [
        to_micros(reservation.amount),
        to_micros(video_limit()),
        to_micros(daily_budget()),
        to_micros(monthly_budget()),
        counters.epoch_ms(now),
        counters.epoch_ms(reservation.expires_at),
        str(reservation.pk),
        counters.hold_prefix(),
        counters.VIDEO_KEY_TTL,
        counters.DAY_KEY_TTL,
        counters.MONTH_KEY_TTL,
    ]
    for _attempt in range(3):
        result = counters.run("reserve", keys=keys, args=args)
        code = int(result[0])
        if code == 1:
            return
        if code == 0:
            current = from_micros(int(result[2]))
            raise _refuse(_WHICH[int(result[1])], current=current, amount=reservation.amount, at=now)
        init_counters(video_id=reservation.video_id, day=day, now=now)
    raise counters.CountersUnavailableError("cost counters could not be initialised")


def _reserve_in_database(reservation: Reservation, *, now: datetime) -> Reservation:
    day = reservation.budget_date
    with transaction.atomic():
        lock_budget_rows(day)
        status = (
            Video.objects.select_for_update().filter(pk=reservation.video_id).values_list("status", flat=True).first()
        )
        if status in FINAL_STATUSES:
            raise _refuse_stopped(status)
        totals = db_totals(video_id=reservation.video_id, day=day, now=now)
        amount = reservation.amount
        for which, current, limit in (
            ("video_limit", totals.video, video_limit()),
            ("daily_budget", totals.day, daily_budget()),
            ("monthly_budget", totals.month, monthly_budget()),
        ):
            if current + amount > limit:
                raise _refuse(which, current=current, amount=amount, at=now)
        reservation.backend = ReservationBackend.DATABASE
        reservation.save(force_insert=True)
    return reservation


def cost_release(*, reservation: Reservation) -> None:
    """Give back a hold the step did not spend (idempotent: a closed hold is left as it is).

    The row closes in the caller's transaction; the Redis counters follow after commit."""
    now = timezone.now()
    with transaction.atomic():
        held = Reservation.objects.select_for_update().filter(pk=reservation.pk).first()
        if held is None or held.status != ReservationStatus.OPEN:
            return
        held.status = ReservationStatus.RELEASED
        held.closed_at = now
        held.save(update_fields=["status", "closed_at"])
        transaction.on_commit(
            lambda: settle_counters(
                reservation_id=held.pk, video_id=held.video_id, day=held.budget_date, micros=0, now=now
            )
        )
    reservation.status, reservation.closed_at = held.status, held.closed_at


def cost_release_video_holds(*, video_id) -> int:
    """Give back every hold a video still has open (it stopped: it will not spend them), so they
    stop counting against the budget at once rather than at their TTL. Returns how many."""
    released = 0
    for reservation in Reservation.objects.filter(video_id=video_id, status=ReservationStatus.OPEN):
        cost_release(reservation=reservation)
        released += 1
    return released


def cost_expire_holds(*, now: datetime | None = None) -> int:
    """Mark holds past their TTL expired (they already stopped counting) and sweep them in Redis."""
    now = now or timezone.now()
    expired = Reservation.objects.filter(status=ReservationStatus.OPEN, expires_at__lte=now).update(
        status=ReservationStatus.EXPIRED, closed_at=now
    )
    sweep_expired_holds(now=now)
    return expired
