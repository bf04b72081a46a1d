"""The append-only ledger: record a charge (settling its hold), correct one, and the projection.

``cost_record`` returns the video's new total; it never changes a video's status or level —
the videos app's cost policy reacts to the total. The ledger's post_save signal keeps the
projection (the video's ``total_cost`` and ``cost_breakdown``) and the Redis counters in step.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from costs.models import Reservation, ReservationStatus, VideoCost
from videos.models import Video
from ytempire.core.exceptions import NotFoundError
from ytempire.core.money import ZERO, money, to_micros

from .budget import budget_date_for
from .counter_sync import settle_counters
from .errors import CostValidationError
from .validation import validate_amount, validate_service

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedCost:
    """A ledger row just written (or found, for an idempotent retry) and the video's new total."""

    entry: VideoCost
    video_total: Decimal


def _video_total(video_id) -> Decimal:
    return Video.objects.filter(pk=video_id).values_list("total_cost", flat=True).get()


def cost_record(
    *,
    video: Video,
    service: str,
    amount: Decimal,
    reservation: Reservation | None = None,
    metadata: dict | None = None,
) -> RecordedCost:
    """Write one ledger row for money spent on ``video``, settling its reservation.

    The row counts for the reservation's budget day (a hold settled after midnight stays on the
    day it was made), else for today's. Recording the same reservation twice returns the first
    row (idempotent retries). Money already spent is always recorded: a hold that was released
    or expired meanwhile (the video was cancelled mid-call) is recorded against, unsettled.
    Returns the row and the video's new total.
    """
    amount = validate_amount(amount, allow_zero=True)
    service = validate_service(service)
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
                return RecordedCost(entry=existing, video_total=_video_total(video.pk))
            day = held.budget_date
            if held.status == ReservationStatus.OPEN:
                held.status = ReservationStatus.SETTLED
                held.closed_at = now
                held.save(update_fields=["status", "closed_at"])
            else:
                logger.warning(
                    "charge recorded against a closed hold",
                    extra={"video_id": str(video.pk), "hold_status": held.status, "service": service},
                )
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
        entry.save(force_insert=True)  # post_save: the projection and, after commit, the counters
        return RecordedCost(entry=entry, video_total=_video_total(video.pk))


def cost_correct(*, entry: VideoCost, reason: str, amount: Decimal | None = None, actor: str = "") -> VideoCost:
    """Correct a charge with a new ledger row (default: its full reversal), never an edit.

    The correction counts for the same budget day as the charge it corrects.
    """
    if not reason or not reason.strip():
        raise CostValidationError("A correction needs a reason.")
    amount = validate_amount(-entry.amount if amount is None else amount, allow_zero=False, allow_negative=True)
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
    return money(total or ZERO)


def video_cost_projection(*, video_id) -> tuple[Decimal, dict[str, str]]:
    """The video's total and per-service breakdown from the ledger."""
    rows = VideoCost.objects.filter(video_id=video_id).values("service").annotate(total=Sum("amount"))
    breakdown = {row["service"]: money(row["total"]) for row in rows}
    total = sum(breakdown.values(), ZERO)
    return total, {key: f"{value:.4f}" for key, value in sorted(breakdown.items())}


def cost_ledger_entry_apply(*, entry: VideoCost) -> None:
    """Bring the projection and the counters in step with a new ledger row (the post_save signal).

    Locks the video row so concurrent charges project one after the other, recomputes
    total_cost and cost_breakdown from the ledger, and moves the Redis counters after commit
    (a rolled-back charge never counts). Bookkeeping only: no status, no level.
    """
    Video.objects.select_for_update().filter(pk=entry.video_id).values_list("id", flat=True).get()
    total, breakdown = video_cost_projection(video_id=entry.video_id)
    Video.objects.filter(pk=entry.video_id).update(total_cost=total, cost_breakdown=breakdown)
    reservation_id, video_id, day = entry.reservation_id, entry.video_id, entry.budget_date
    micros, at = to_micros(entry.amount), entry.timestamp
    transaction.on_commit(
        lambda: settle_counters(reservation_id=reservation_id, video_id=video_id, day=day, micros=micros, now=at)
    )
