"""The ledger and real-time enforcement: reserve, record, release, correct, rebuild.

Redis is the fast path and the database is the truth. A reservation is checked and taken
against the video, day and month counters in one Lua script; when Redis is unreachable the
same check runs in the database under row locks (the month and day lock rows, then the
video row), so enforcement fails closed, never open.
"""

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from costs import metrics
from costs.models import CostBudgetLock, Reservation, ReservationBackend, ReservationStatus, VideoCost
from videos.models import OptimizationLevel, Video, VideoStatus
from ytempire.core.exceptions import ApplicationError, NotFoundError

from . import counters
from .budget import (
    budget_date_for,
    daily_budget,
    from_micros,
    month_start,
    monthly_budget,
    next_budget_day_start,
    next_month_start,
    to_micros,
    video_limit,
    warning_threshold,
)
from .errors import BudgetExceededError, CostLimitError, CostValidationError, ReservationClosedError

logger = logging.getLogger(__name__)

ZERO = Decimal("0.0000")
FOUR_PLACES = Decimal("0.0001")
# A video in one of these statuses spends nothing more.
STOPPED_STATUSES = frozenset({VideoStatus.CANCELLED, VideoStatus.FAILED, VideoStatus.PUBLISHED})
WARNING_FLAG = "cost_warning_at"
STOP_FLAG = "cost_limit_stopped_at"

# Set when this process had to fall back to the database: the Redis counters may have missed
# those holds, so they are rebuilt from the database at the next successful contact.
_degraded = threading.Event()


def _reservation_ttl() -> int:
    return int(getattr(settings, "COST_RESERVATION_TTL_SECONDS", 30 * 60))


# --- validation ------------------------------------------------------------------------------


def _validate_amount(amount, *, allow_zero: bool, allow_negative: bool = False) -> Decimal:
    try:
        value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
    except (InvalidOperation, ValueError, TypeError):
        raise CostValidationError("Amount must be a decimal number of dollars.") from None
    if isinstance(amount, float):
        raise CostValidationError("Amount must be a Decimal, not a float.")
    if not value.is_finite():
        raise CostValidationError("Amount must be a finite number.")
    if value != value.quantize(FOUR_PLACES):
        raise CostValidationError("Amount has more than 4 decimal places.")
    if abs(value) >= Decimal("1000000"):
        raise CostValidationError("Amount is too large.")
    if value < 0 and not allow_negative:
        raise CostValidationError("Amount cannot be negative; record a correction instead.")
    if value == 0 and not allow_zero:
        raise CostValidationError("Amount must be greater than zero.")
    return value.quantize(FOUR_PLACES)


def _validate_service(service: str) -> str:
    if not isinstance(service, str) or not service.strip() or len(service) > 50:
        raise CostValidationError("Service must be a non-empty name of at most 50 characters.")
    return service.strip()


# --- database view of the counters -------------------------------------------------------------


@dataclass(frozen=True)
class DbTotals:
    video_recorded: Decimal
    video_reserved: Decimal
    day_recorded: Decimal
    day_reserved: Decimal
    month_recorded: Decimal
    month_reserved: Decimal

    @property
    def video(self) -> Decimal:
        return self.video_recorded + self.video_reserved

    @property
    def day(self) -> Decimal:
        return self.day_recorded + self.day_reserved

    @property
    def month(self) -> Decimal:
        return self.month_recorded + self.month_reserved


def db_totals(*, video_id, day: date, now: datetime) -> DbTotals:
    """Recorded and open-hold totals of a video, a budget day and its month, in ONE statement.

    One statement sees one snapshot, so a charge settling its hold concurrently is counted
    exactly once (either as the hold or as the ledger row).
    """
    ledger, holds = VideoCost._meta.db_table, Reservation._meta.db_table
    first, after = month_start(day), next_month_start(day)
    sql = f"""
        SELECT
          (SELECT COALESCE(SUM(amount), 0) FROM {ledger} WHERE video_id = %s),
          (SELECT COALESCE(SUM(amount), 0) FROM {holds} WHERE video_id = %s AND status = %s AND expires_at > %s),
          (SELECT COALESCE(SUM(amount), 0) FROM {ledger} WHERE budget_date = %s),
          (SELECT COALESCE(SUM(amount), 0) FROM {holds} WHERE budget_date = %s AND status = %s AND expires_at > %s),
          (SELECT COALESCE(SUM(amount), 0) FROM {ledger} WHERE budget_date >= %s AND budget_date < %s),
          (SELECT COALESCE(SUM(amount), 0) FROM {holds}
             WHERE budget_date >= %s AND budget_date < %s AND status = %s AND expires_at > %s)
    """  # noqa: S608 - table names come from model meta, values are parameters
    open_ = ReservationStatus.OPEN
    vid = video_id.hex if connection.vendor == "sqlite" else video_id
    params = [vid, vid, open_, now, day, day, open_, now, first, after, first, after, open_, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    values = [Decimal(str(v)).quantize(FOUR_PLACES) for v in row]
    return DbTotals(*values)


def _lock_budget(day: date) -> None:
    """Lock the month's and the day's lock rows (always in that order: no deadlocks)."""
    keys = [f"month:{day:%Y-%m}", f"day:{day.isoformat()}"]
    CostBudgetLock.objects.bulk_create([CostBudgetLock(key=k) for k in keys], ignore_conflicts=True)
    list(CostBudgetLock.objects.select_for_update().filter(key__in=keys).order_by("-key"))


# --- refusals ----------------------------------------------------------------------------------


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


_WHICH = {1: "video_limit", 2: "daily_budget", 3: "monthly_budget"}


# --- reserve -----------------------------------------------------------------------------------


def cost_reserve(*, video: Video, service: str, amount: Decimal, metadata: dict | None = None) -> Reservation:
    """Hold ``amount`` for a step of ``video`` before the vendor is called.

    Granted only if the video's recorded + reserved total stays <= MAX_COST_PER_VIDEO and the
    budget day's and month's stay <= DAILY/MONTHLY_COST_BUDGET; otherwise refused whole with
    CostLimitError (409) or BudgetExceededError (403), and nothing is held. A stopped video
    (cancelled, failed, published) cannot reserve. The hold expires after
    COST_RESERVATION_TTL_SECONDS unless settled (cost_record) or released (cost_release).
    """
    amount = _validate_amount(amount, allow_zero=False)
    service = _validate_service(service)
    status = Video.objects.filter(pk=video.pk).values_list("status", flat=True).first()
    if status is None:
        raise NotFoundError("Video not found")
    now = timezone.now()
    if status in STOPPED_STATUSES:
        metrics.RESERVATIONS_REFUSED.labels(reason="video_stopped").inc()
        raise CostLimitError(f"Video is {status}; it cannot spend more", extra={"status": status})
    day = budget_date_for(now)
    reservation = Reservation(
        id=uuid.uuid4(),
        video_id=video.pk,
        service=service,
        amount=amount,
        budget_date=day,
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
        _degraded.set()
        return _reserve_in_database(reservation, now=now)
    try:
        reservation.save(force_insert=True)
    except Exception:
        _settle_counters(reservation_id=reservation.pk, video_id=video.pk, day=day, micros=0, now=now)
        raise
    return reservation


def _reserve_in_redis(reservation: Reservation, *, now: datetime) -> None:
    if _degraded.is_set():
        counters.ping()
        counters_rebuild()
        _degraded.clear()
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
        _init_counters(video_id=reservation.video_id, day=day, now=now)
    raise counters.CountersUnavailableError("cost counters could not be initialised")


def _init_counters(*, video_id, day: date, now: datetime) -> None:
    """Initialise unknown counters of a video, day and month from the database (never overwrite)."""
    totals = db_totals(video_id=video_id, day=day, now=now)
    for counter_key, recorded, reserved, ttl in (
        (counters.video_key(video_id), totals.video_recorded, totals.video_reserved, counters.VIDEO_KEY_TTL),
        (counters.day_key(day), totals.day_recorded, totals.day_reserved, counters.DAY_KEY_TTL),
        (counters.month_key(day), totals.month_recorded, totals.month_reserved, counters.MONTH_KEY_TTL),
    ):
        counters.run("init", keys=[counter_key], args=[to_micros(recorded), to_micros(reserved), ttl])


def _reserve_in_database(reservation: Reservation, *, now: datetime) -> Reservation:
    day = reservation.budget_date
    with transaction.atomic():
        _lock_budget(day)
        status = Video.objects.select_for_update().filter(pk=reservation.video_id).values_list("status", flat=True)
        status = status.first()
        if status in STOPPED_STATUSES:
            metrics.RESERVATIONS_REFUSED.labels(reason="video_stopped").inc()
            raise CostLimitError(f"Video is {status}; it cannot spend more", extra={"status": status})
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


# --- record, release, correct ------------------------------------------------------------------


def cost_record(
    *,
    video: Video,
    service: str,
    amount: Decimal,
    reservation: Reservation | None = None,
    metadata: dict | None = None,
) -> VideoCost:
    """Write one ledger row for money a step spent, settling its reservation.

    The row counts for the reservation's budget day (a hold settled after midnight stays on
    the day it was made), else for today's. Recording the same reservation twice returns the
    first row (idempotent retries). The ledger's post_save signal then updates the video's
    total_cost / cost_breakdown, switches it to economy past WARNING_COST_THRESHOLD and
    cancels it at MAX_COST_PER_VIDEO, and moves the Redis counters after commit.
    """
    amount = _validate_amount(amount, allow_zero=True)
    service = _validate_service(service)
    now = timezone.now()
    with transaction.atomic():
        held = None
        day = budget_date_for(now)
        if reservation is not None:
            held = Reservation.objects.select_for_update().filter(pk=reservation.pk).first()
            if held is None:
                raise NotFoundError("Reservation not found")
            if held.video_id != video.pk:
                raise CostValidationError("The reservation belongs to another video.")
            existing = VideoCost.objects.filter(reservation_id=held.pk).first()
            if existing is not None:
                return existing
            if held.status == ReservationStatus.RELEASED:
                raise ReservationClosedError("Reservation was released; reserve again before spending")
            held.status = ReservationStatus.SETTLED
            held.closed_at = now
            held.save(update_fields=["status", "closed_at"])
            day = held.budget_date
        entry = VideoCost(
            video_id=video.pk,
            service=service,
            amount=amount,
            timestamp=now,
            budget_date=day,
            reservation=held,
            metadata=metadata or {},
        )
        entry.full_clean(exclude=["video", "reservation"])
        entry.save(force_insert=True)
    return entry


def cost_release(*, reservation: Reservation) -> None:
    """Give back a hold the step did not spend (idempotent: a closed hold is left as it is)."""
    now = timezone.now()
    with transaction.atomic():
        held = Reservation.objects.select_for_update().filter(pk=reservation.pk).first()
        if held is None or held.status != ReservationStatus.OPEN:
            return
        held.status = ReservationStatus.RELEASED
        held.closed_at = now
        held.save(update_fields=["status", "closed_at"])
        transaction.on_commit(
            lambda: _settle_counters(
                reservation_id=held.pk, video_id=held.video_id, day=held.budget_date, micros=0, now=now
            )
        )
    reservation.status, reservation.closed_at = held.status, held.closed_at


def cost_release_video_holds(*, video: Video) -> int:
    """Give back every hold a stopped video still has open (cancelled or failed: it will not
    spend them), so they stop counting against the budget before their TTL. Returns how many."""
    released = 0
    for reservation in Reservation.objects.filter(video_id=video.pk, status=ReservationStatus.OPEN):
        cost_release(reservation=reservation)
        released += 1
    return released


def cost_correct(*, entry: VideoCost, reason: str, amount: Decimal | None = None, actor: str = "") -> VideoCost:
    """Correct a charge with a new ledger row (default: its full reversal), never an edit.

    The correction counts for the same budget day as the charge it corrects.
    """
    if not reason or not reason.strip():
        raise CostValidationError("A correction needs a reason.")
    amount = _validate_amount(-entry.amount if amount is None else amount, allow_zero=False, allow_negative=True)
    with transaction.atomic():
        row = VideoCost(
            video_id=entry.video_id,
            service=entry.service,
            amount=amount,
            timestamp=timezone.now(),
            budget_date=entry.budget_date,
            metadata={"correction_of": str(entry.pk), "reason": reason.strip()[:500], "actor": actor},
        )
        row.full_clean(exclude=["video", "reservation"])
        row.save(force_insert=True)
    return row


def cost_video_total(*, video: Video) -> Decimal:
    """The video's recorded total: the sum of its ledger rows."""
    total = VideoCost.objects.filter(video_id=video.pk).aggregate(total=Sum("amount"))["total"]
    return (total or ZERO).quantize(FOUR_PLACES)


# --- the ledger's projection (called by the post_save signal) ----------------------------------


def cost_ledger_entry_apply(*, entry: VideoCost) -> None:
    """Bring the video and the counters in step with a new ledger row.

    Locks the video row, recomputes total_cost and cost_breakdown from the ledger, switches
    the video to economy the first time its total reaches WARNING_COST_THRESHOLD and cancels
    it (error "Cost limit exceeded: $X.XX") the first time it reaches MAX_COST_PER_VIDEO;
    both happen exactly once because they run under the row lock and leave a mark. The Redis
    counters move after commit, so a rolled-back charge never counts.
    """
    video = Video.objects.select_for_update().get(pk=entry.video_id)
    rows = VideoCost.objects.filter(video_id=video.pk).values("service").annotate(total=Sum("amount"))
    breakdown = {row["service"]: row["total"].quantize(FOUR_PLACES) for row in rows}
    total = sum(breakdown.values(), ZERO)
    projected = {"total_cost": total, "cost_breakdown": {k: f"{v:.4f}" for k, v in sorted(breakdown.items())}}
    Video.objects.filter(pk=video.pk).update(**projected)
    video.total_cost, video.cost_breakdown = projected["total_cost"], projected["cost_breakdown"]
    if total >= warning_threshold() and not video.metadata.get(WARNING_FLAG):
        _cost_warning(video=video, total=total)
    if total >= video_limit() and video.status not in STOPPED_STATUSES and not video.metadata.get(STOP_FLAG):
        _cost_stop(video=video, total=total)
    reservation_id, video_id, day = entry.reservation_id, entry.video_id, entry.budget_date
    micros, at = to_micros(entry.amount), entry.timestamp
    transaction.on_commit(
        lambda: _settle_counters(reservation_id=reservation_id, video_id=video_id, day=day, micros=micros, now=at)
    )


def _mark(video: Video, flag: str, data: dict) -> None:
    metadata = Video.objects.filter(pk=video.pk).values_list("metadata", flat=True).get()
    metadata = {**(metadata or {}), flag: data}
    Video.objects.filter(pk=video.pk).update(metadata=metadata)
    video.metadata = metadata


def _cost_warning(*, video: Video, total: Decimal) -> None:
    from videos import services as video_services

    reason = f"Cost warning: ${total:.2f} reached ${warning_threshold():.2f}; switching to economy"
    try:
        if video.status in STOPPED_STATUSES:
            pass
        elif video.optimization_level != OptimizationLevel.ECONOMY:
            video = video_services.video_set_optimization_level(
                video=video, level=OptimizationLevel.ECONOMY, reason=reason
            )
        else:
            video_services.video_event_record(video=video, reason=reason, data={"total_cost": f"{total:.4f}"})
    except ApplicationError as exc:
        logger.warning("cost warning could not switch the video", extra={"video_id": str(video.pk), "error": str(exc)})
    _mark(video, WARNING_FLAG, {"at": timezone.now().isoformat(), "total": f"{total:.4f}"})


def _cost_stop(*, video: Video, total: Decimal) -> None:
    from videos import services as video_services

    message = f"Cost limit exceeded: ${total:.2f}"
    try:
        video = video_services.video_transition(
            video=video,
            to_status=VideoStatus.CANCELLED,
            reason="cost_limit_exceeded",
            data={"total_cost": f"{total:.4f}", "limit": f"{video_limit():.2f}"},
            error_message=message,
        )
    except ApplicationError as exc:
        logger.warning("cost limit could not cancel the video", extra={"video_id": str(video.pk), "error": str(exc)})
        video_services.video_event_record(video=video, reason=message, data={"total_cost": f"{total:.4f}"})
    _mark(video, STOP_FLAG, {"at": timezone.now().isoformat(), "total": f"{total:.4f}"})
    cost_release_video_holds(video=video)  # the stopped video will not spend what it still holds


def _settle_counters(*, reservation_id, video_id, day: date, micros: int, now: datetime) -> None:
    """Release a hold (if still held) and add recorded micro-dollars, in one script."""
    if not counters.redis_configured():
        return
    try:
        counters.run(
            "settle",
            keys=[
                counters.video_key(video_id),
                counters.day_key(day),
                counters.month_key(day),
                counters.holds_key(),
                counters.hold_key(reservation_id or "-"),
            ],
            args=[micros, str(reservation_id or "-"), counters.epoch_ms(now), counters.hold_prefix()],
        )
        if micros:
            today = counters.read(counters.day_key(budget_date_for()))
            if today is not None:
                metrics.DAILY_SPEND.set(metrics.exported(from_micros(today.recorded)))
    except counters.CountersUnavailableError as exc:
        # The database already holds the truth; the counters are rebuilt at the next contact.
        logger.warning("cost counters not updated", extra={"error": str(exc)})
        _degraded.set()


# --- maintenance ---------------------------------------------------------------------------------


def cost_expire_holds(*, now: datetime | None = None) -> int:
    """Mark holds past their TTL expired (they already stopped counting) and sweep them in Redis."""
    now = now or timezone.now()
    expired = Reservation.objects.filter(status=ReservationStatus.OPEN, expires_at__lte=now).update(
        status=ReservationStatus.EXPIRED, closed_at=now
    )
    if counters.redis_configured():
        try:
            counters.run("sweep", keys=[counters.holds_key()], args=[counters.epoch_ms(now), counters.hold_prefix()])
        except counters.CountersUnavailableError:
            _degraded.set()
    return expired


def counters_rebuild(*, dry_run: bool = False) -> dict:
    """Rebuild the Redis counters and holds from the ledger and the open holds in the database.

    Covers today's budget day and month, every day with an open hold, and every video that can
    still spend; other counters are initialised from the database on first use. Runs under the
    same month/day row locks as the database fallback.
    """
    if not dry_run:
        counters.ping()  # fail fast (CountersUnavailableError) before any database work
    now = timezone.now()
    today = budget_date_for(now)
    with transaction.atomic():
        _lock_budget(today)
        holds = list(
            Reservation.objects.filter(status=ReservationStatus.OPEN, expires_at__gt=now).values_list(
                "id", "amount", "video_id", "budget_date", "expires_at"
            )
        )
        days = {today} | {h[3] for h in holds}
        months = {month_start(d) for d in days}
        day_recorded = dict(
            VideoCost.objects.filter(budget_date__in=days)
            .values("budget_date")
            .annotate(total=Sum("amount"))
            .values_list("budget_date", "total")
        )
        month_recorded = {
            m: VideoCost.objects.filter(budget_date__gte=m, budget_date__lt=next_month_start(m)).aggregate(
                total=Sum("amount")
            )["total"]
            or ZERO
            for m in months
        }
        video_ids = set(Video.objects.exclude(status__in=STOPPED_STATUSES).values_list("id", flat=True))
        video_ids |= {h[2] for h in holds}
        video_recorded = dict(
            VideoCost.objects.filter(video_id__in=video_ids)
            .values("video_id")
            .annotate(total=Sum("amount"))
            .values_list("video_id", "total")
        )
    reserved: dict[str, int] = {}
    hold_args: list = []
    for hold_id, amount, video_id, day, expires_at in holds:
        micros = to_micros(amount)
        vk, dk, mk = counters.video_key(video_id), counters.day_key(day), counters.month_key(day)
        for k in (vk, dk, mk):
            reserved[k] = reserved.get(k, 0) + micros
        hold_args += [str(hold_id), micros, vk, dk, mk, counters.epoch_ms(expires_at)]
    counter_args: list = []
    summary_days = {}
    for d in sorted(days):
        k = counters.day_key(d)
        recorded = to_micros(day_recorded.get(d) or ZERO)
        counter_args += [k, recorded, reserved.get(k, 0), counters.DAY_KEY_TTL]
        summary_days[d.isoformat()] = {"recorded": from_micros(recorded), "reserved": from_micros(reserved.get(k, 0))}
    for m in sorted(months):
        k = counters.month_key(m)
        counter_args += [k, to_micros(month_recorded[m]), reserved.get(k, 0), counters.MONTH_KEY_TTL]
    for video_id in video_ids:
        k = counters.video_key(video_id)
        counter_args += [k, to_micros(video_recorded.get(video_id) or ZERO), reserved.get(k, 0), counters.VIDEO_KEY_TTL]
    if not dry_run:
        counters.run(
            "rebuild", keys=[counters.holds_key()], args=[counters.hold_prefix(), *counter_args, "--", *hold_args]
        )
    return {"days": summary_days, "months": len(months), "videos": len(video_ids), "holds": len(holds)}


@dataclass(frozen=True)
class BudgetStatus:
    day: date
    day_recorded: Decimal
    day_reserved: Decimal
    month_recorded: Decimal
    month_reserved: Decimal
    daily_budget: Decimal
    monthly_budget: Decimal
    source: str

    @property
    def day_total(self) -> Decimal:
        return self.day_recorded + self.day_reserved

    @property
    def month_total(self) -> Decimal:
        return self.month_recorded + self.month_reserved

    @property
    def paused(self) -> bool:
        return self.day_total >= self.daily_budget or self.month_total >= self.monthly_budget


def cost_budget_status(*, at: datetime | None = None) -> BudgetStatus:
    """Today's and this month's recorded + reserved spend (Redis when ready, else the database)."""
    at = at or timezone.now()
    day = budget_date_for(at)
    try:
        day_counter = counters.read(counters.day_key(day))
        month_counter = counters.read(counters.month_key(day))
    except counters.CountersUnavailableError:
        day_counter = month_counter = None
    if day_counter is not None and month_counter is not None:
        return BudgetStatus(
            day=day,
            day_recorded=from_micros(day_counter.recorded),
            day_reserved=from_micros(day_counter.reserved),
            month_recorded=from_micros(month_counter.recorded),
            month_reserved=from_micros(month_counter.reserved),
            daily_budget=daily_budget(),
            monthly_budget=monthly_budget(),
            source="redis",
        )
    totals = db_totals(video_id=uuid.UUID(int=0), day=day, now=at)
    return BudgetStatus(
        day=day,
        day_recorded=totals.day_recorded,
        day_reserved=totals.day_reserved,
        month_recorded=totals.month_recorded,
        month_reserved=totals.month_reserved,
        daily_budget=daily_budget(),
        monthly_budget=monthly_budget(),
        source="database",
    )


def cost_budget_paused(*, at: datetime | None = None) -> bool:
    """True when the budget day's (or month's) recorded + reserved spend has reached its budget.

    While paused, generate answers 403 "Daily cost budget reached" and queued videos wait for
    ``cost_budget_resumes_at()``.
    """
    return cost_budget_status(at=at).paused


def cost_budget_resumes_at(*, at: datetime | None = None) -> datetime:
    """When the next budget day starts (a paused platform resumes then)."""
    return next_budget_day_start(at)


def video_costs_backfill(*, dry_run: bool = False, batch_size: int = 500, progress=None) -> dict:
    """Recompute every video's total_cost and cost_breakdown from the ledger.

    ``progress(done, total)`` is called after each batch. Returns counts of checked and
    changed videos; with ``dry_run`` nothing is written.
    """
    ids = list(Video.objects.order_by("pk").values_list("pk", flat=True))
    checked = changed = 0
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        sums: dict = {}
        for video_id, service, total in (
            VideoCost.objects.filter(video_id__in=batch)
            .values("video_id", "service")
            .annotate(total=Sum("amount"))
            .values_list("video_id", "service", "total")
        ):
            sums.setdefault(video_id, {})[service] = total.quantize(FOUR_PLACES)
        with transaction.atomic():
            for video in (
                Video.objects.select_for_update().filter(pk__in=batch).only("pk", "total_cost", "cost_breakdown")
            ):
                breakdown = sums.get(video.pk, {})
                total = sum(breakdown.values(), ZERO)
                projected = {k: f"{v:.4f}" for k, v in sorted(breakdown.items())}
                checked += 1
                if video.total_cost != total or (video.cost_breakdown or {}) != projected:
                    changed += 1
                    if not dry_run:
                        Video.objects.filter(pk=video.pk).update(total_cost=total, cost_breakdown=projected)
        if progress is not None:
            progress(min(start + batch_size, len(ids)), len(ids))
    return {"checked": checked, "changed": changed, "dry_run": dry_run}
