"""Keeping the Redis counters in step with the database (the truth).

The database view of the counters (``db_totals``), the row locks the database fallback takes,
initialising unknown counters, settling a hold after commit, and the full rebuild. When a
process had to enforce through the database (Redis unreachable), the counters may have missed
those holds: the process marks itself degraded and rebuilds at its next successful contact.
"""

import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from costs.models import CostBudgetLock, Reservation, ReservationStatus, VideoCost
from videos.models import FINAL_STATUSES, Video
from ytempire.core.money import ZERO, from_micros, money, to_micros

from . import counters
from .budget import budget_date_for, month_start, next_month_start

logger = logging.getLogger(__name__)

# Set when this process had to fall back to the database: the Redis counters may have missed
# those holds, so they are rebuilt from the database at the next successful contact.
_degraded = threading.Event()


def mark_degraded() -> None:
    _degraded.set()


def rebuild_if_degraded() -> None:
    """Before using Redis again after a fallback: rebuild the counters from the database."""
    if _degraded.is_set():
        counters.ping()
        counters_rebuild()
        _degraded.clear()


@dataclass(frozen=True)
class DbTotals:
    video_recorded: object
    video_reserved: object
    day_recorded: object
    day_reserved: object
    month_recorded: object
    month_reserved: object

    @property
    def video(self):
        return self.video_recorded + self.video_reserved

    @property
    def day(self):
        return self.day_recorded + self.day_reserved

    @property
    def month(self):
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
    return DbTotals(*(money(str(value)) for value in row))


def lock_budget_rows(day: date) -> None:
    """Lock the month's and the day's lock rows (always in that order: no deadlocks)."""
    keys = [f"month:{day:%Y-%m}", f"day:{day.isoformat()}"]
    CostBudgetLock.objects.bulk_create([CostBudgetLock(key=k) for k in keys], ignore_conflicts=True)
    list(CostBudgetLock.objects.select_for_update().filter(key__in=keys).order_by("-key"))


def init_counters(*, video_id, day: date, now: datetime) -> None:
    """Initialise unknown counters of a video, day and month from the database (never overwrite)."""
    totals = db_totals(video_id=video_id, day=day, now=now)
    counters.run(
        "init",
        keys=[counters.video_key(video_id)],
        args=[to_micros(totals.video_recorded), to_micros(totals.video_reserved), counters.VIDEO_KEY_TTL],
    )
    init_budget_counters(day=day, totals=totals)


def init_budget_counters(*, day: date, totals: DbTotals) -> None:
    """Initialise the budget day's and month's counters from ``totals`` (``db_totals``) when they
    are unknown; a counter another process initialised first is never overwritten."""
    for counter_key, recorded, reserved, ttl in (
        (counters.day_key(day), totals.day_recorded, totals.day_reserved, counters.DAY_KEY_TTL),
        (counters.month_key(day), totals.month_recorded, totals.month_reserved, counters.MONTH_KEY_TTL),
    ):
        counters.run("init", keys=[counter_key], args=[to_micros(recorded), to_micros(reserved), ttl])


def settle_counters(*, reservation_id, video_id, day: date, micros: int, now: datetime) -> None:
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
    except counters.CountersUnavailableError as exc:
        # The database already holds the truth; the counters are rebuilt at the next contact.
        logger.warning("cost counters not updated", extra={"error": str(exc)})
        mark_degraded()


def sweep_expired_holds(*, now: datetime) -> None:
    if not counters.redis_configured():
        return
    try:
        counters.run("sweep", keys=[counters.holds_key()], args=[counters.epoch_ms(now), counters.hold_prefix()])
    except counters.CountersUnavailableError:
        mark_degraded()


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
        lock_budget_rows(today)
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
        video_ids = set(Video.objects.exclude(status__in=FINAL_STATUSES).values_list("id", flat=True))
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
