"""The cost policy: one door for every cent a video spends.

Every pipeline step, the render callback, the cost alert and automation's title charge come
through here, so the same rules give the same answer whichever way the money arrives:

- reserve -> call -> record, or release on error (``spend``): a step holds its upper bound
  before the vendor is called and can never spend more than the platform allows;
- crossing WARNING_COST_THRESHOLD ($2.50) switches the video to economy, once;
- reaching MAX_COST_PER_VIDEO ($3.00) cancels it, once (the state machine gives back its holds);
- an exhausted daily or monthly budget parks the video until the next budget day: it waits,
  it does not fail.

The costs app keeps the ledger, the holds and the counters; it never changes a video.
"""

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from costs.models import Reservation
from costs.selectors import cost_budget_paused
from costs.services import (
    BudgetExceededError,
    CostLimitError,
    cost_record,
    cost_release,
    cost_reserve,
    cost_video_total,
    estimate_with_script,
    next_budget_day_start,
    video_limit,
    warning_threshold,
)
from ytempire.core.exceptions import NotFoundError
from ytempire.core.money import money

from .models import ACTIVE_STATUSES, OptimizationLevel, Video, VideoStatus
from .pipeline.state import pipeline_state, update_state, wait
from .services import video_event_record, video_set_optimization_level, video_transition

logger = logging.getLogger(__name__)

S = VideoStatus
WARNING_FLAG = "cost_warning_at"
STOP_FLAG = "cost_limit_stopped_at"
BUDGET_WAIT = "budget"


class SpendingRefusedError(Exception):
    """A hold was refused: the video was stopped (over its limit) or parked (budget exhausted).

    The step ends without calling the vendor; the video's state already says why."""

    def __init__(self, outcome: str, message: str):
        self.outcome = outcome  # "stopped" | "parked"
        super().__init__(message)


def video_total(*, video: Video) -> Decimal:
    """What the ledger says the video has spent."""
    return cost_video_total(video=video)


# --- The policy ------------------------------------------------------------------------------


def _mark(video: Video, flag: str, total: Decimal) -> None:
    metadata = {**(video.metadata or {}), flag: {"at": timezone.now().isoformat(), "total": f"{total:.4f}"}}
    Video.objects.filter(pk=video.pk).update(metadata=metadata)
    video.metadata = metadata


def spending_policy_apply(*, video_id, total: Decimal) -> str:
    """Apply the thresholds to a video whose total is now ``total``; returns what happened
    ("ok", "economy", "stopped").

    Under the video's row lock, each threshold acts at most once (a mark in metadata): at the
    warning threshold the video switches to economy, at the per-video limit an active video is
    cancelled with "Cost limit exceeded: $X.XX" (and gives back its holds)."""
    if total < warning_threshold():
        return "ok"  # below both thresholds (the warning is below the limit): nothing to decide
    outcome = "ok"
    with transaction.atomic():
        video = Video.objects.select_for_update().get(pk=video_id)
        if total >= warning_threshold() and not video.metadata.get(WARNING_FLAG):
            reason = f"Cost warning: ${total:.2f} reached ${warning_threshold():.2f}; switching to economy"
            if video.status in ACTIVE_STATUSES and video.optimization_level != OptimizationLevel.ECONOMY:
                video = video_set_optimization_level(video=video, level=OptimizationLevel.ECONOMY, reason=reason)
                outcome = "economy"
            else:
                video_event_record(video=video, reason=reason, data={"total_cost": f"{total:.4f}"})
            _mark(video, WARNING_FLAG, total)
        if total >= video_limit() and not video.metadata.get(STOP_FLAG):
            message = f"Cost limit exceeded: ${total:.2f}"
            if video.status in ACTIVE_STATUSES:
                video = video_transition(
                    video=video,
                    to_status=S.CANCELLED,
                    reason="cost_limit_exceeded",
                    data={"total_cost": f"{total:.4f}", "limit": f"{video_limit():.2f}"},
                    error_message=message,
                )
                outcome = "stopped"
            else:
                video_event_record(video=video, reason=message, data={"total_cost": f"{total:.4f}"})
            _mark(video, STOP_FLAG, total)
            logger.warning("video stopped at the cost limit", extra={"video_id": str(video.pk)})
    return outcome


def video_charge(
    *,
    video: Video,
    service: str,
    amount: Decimal,
    reservation: Reservation | None = None,
    metadata: dict | None = None,
) -> Decimal:
    """Record money spent on ``video`` (settling ``reservation`` when given), then apply the
    policy to the new total. Returns the video's total."""
    recorded = cost_record(
        video=video, service=service, amount=money(amount), reservation=reservation, metadata=metadata
    )
    spending_policy_apply(video_id=video.pk, total=recorded.video_total)
    return recorded.video_total


def video_estimate_revise(video: Video, *, script: str) -> Decimal:
    """Once the script is written, the video's ``estimated_cost`` becomes what it has spent, the
    exact price of voicing this script and the rest learned from the ledger (per script word for
    rendering): ``costs.estimate_with_script``. The quote it was queued with stays in
    ``metadata["estimate"]``; the revision and its basis go to ``metadata["estimate_revised"]``.
    Returns the revised estimate."""
    with transaction.atomic():
        row = (
            Video.objects.select_for_update()
            .only("id", "optimization_level", "cost_breakdown", "metadata")
            .get(pk=video.pk)
        )
        spent = {service: Decimal(str(amount)) for service, amount in (row.cost_breakdown or {}).items()}
        estimate = estimate_with_script(
            level=row.optimization_level, words=len(script.split()), characters=len(script), spent=spent
        )
        metadata = {
            **(row.metadata or {}),
            "estimate_revised": {
                "total": str(estimate.total),
                "breakdown": {key: str(value) for key, value in estimate.breakdown.items()},
                "basis": {key: str(value) for key, value in estimate.basis.items()},
                "at": timezone.now().isoformat(),
            },
        }
        Video.objects.filter(pk=video.pk).update(
            estimated_cost=estimate.total, metadata=metadata, updated_at=timezone.now()
        )
    video.estimated_cost, video.metadata = estimate.total, metadata
    return estimate.total


def video_park_for_budget(video: Video, *, detail: str = "daily cost budget reached") -> None:
    """Park the video until the next budget day (the dispatcher wakes it)."""
    wait(video, reason=BUDGET_WAIT, until=next_budget_day_start(), detail=detail)


# --- Holds -----------------------------------------------------------------------------------


def video_hold(video: Video, *, service: str, amount: Decimal, step: str) -> Reservation:
    """Hold ``amount`` before a vendor is called. Over the per-video limit the video is cancelled;
    over the budget it is parked until the next budget day; either way SpendingRefusedError."""
    try:
        return cost_reserve(video=video, service=service, amount=money(amount), metadata={"step": step})
    except CostLimitError as exc:
        video.refresh_from_db(fields=["status", "total_cost"])
        if video.status in ACTIVE_STATUSES:
            video_transition(
                video=video,
                to_status=S.CANCELLED,
                reason=f"{step}: cost hold refused",
                data={"service": service, "amount": f"{money(amount):.4f}"},
                error_message=f"Cost limit exceeded: ${video.total_cost:.2f} recorded, "
                f"${amount:.2f} more needed for {step}",
            )
        logger.warning("cost hold refused; video stopped", extra={"video_id": str(video.pk), "error": exc.message})
        raise SpendingRefusedError("stopped", exc.message) from exc
    except BudgetExceededError as exc:
        video_park_for_budget(video)
        raise SpendingRefusedError("parked", exc.message) from exc


def release(reservation: Reservation | None) -> None:
    if reservation is not None:
        cost_release(reservation=reservation)


def release_holds(*, hold_ids: Iterable) -> None:
    """Give back the named holds (those still open)."""
    for reservation in Reservation.objects.filter(pk__in=list(hold_ids or [])):
        cost_release(reservation=reservation)


class Spend:
    """One step's hold; ``record`` charges what the call really cost against it."""

    def __init__(self, video: Video, *, service: str, reservation: Reservation):
        self.video = video
        self.service = service
        self.reservation = reservation
        self.total: Decimal | None = None

    @property
    def recorded(self) -> bool:
        return self.total is not None

    def record(self, amount: Decimal, *, metadata: dict[str, Any] | None = None) -> Decimal:
        self.total = video_charge(
            video=self.video,
            service=self.service,
            amount=amount,
            reservation=self.reservation,
            metadata=metadata,
        )
        return self.total


@contextmanager
def spend(video: Video, *, service: str, amount: Decimal, step: str) -> Iterator[Spend]:
    """reserve -> call -> record, or release on error: the shape of every step that spends.

    ::

        with spend(video, service="openai", amount=bound, step="script") as charge:
            result = provider.write(...)
            charge.record(actual_cost, metadata={...})

    A refused hold raises SpendingRefusedError before the body runs; an exception in the body
    gives the hold back; a body that records nothing gives it back too."""
    reservation = video_hold(video, service=service, amount=amount, step=step)
    charge = Spend(video, service=service, reservation=reservation)
    try:
        yield charge
    finally:
        if not charge.recorded:
            release(reservation)


# --- N8N's question: may the workflow keep spending? ------------------------------------------


def video_cost_alert(*, video_id, current_cost: Decimal | None = None, service: str = "") -> dict:
    """Answer N8N's cost alert: ``{"action": "STOP"|"CONTINUE", "reason", ...}``.

    The cost is the larger of what N8N reports and the ledger, and the policy above decides:
    at the limit the video is cancelled (STOP cost_exceeded); an exhausted budget parks it until
    the next budget day and stops the render (STOP budget_exhausted; the render is requested
    again when the budget day turns); at the warning threshold it switches to economy
    (CONTINUE). A video that is not queued or processing gets STOP."""
    video = Video.objects.filter(pk=video_id).first()
    if video is None:
        raise NotFoundError("Video not found")
    total = max(video_total(video=video), money(current_cost or 0))
    answer: dict[str, Any] = {
        "video_id": str(video.pk),
        "current_cost": str(money(total)),
        "max_cost": str(money(video_limit())),
        "remaining_budget": str(money(max(Decimal(0), video_limit() - total))),
    }
    outcome = spending_policy_apply(video_id=video.pk, total=total)
    if outcome != "ok":
        video.refresh_from_db(fields=["status", "metadata"])
    if total >= video_limit():
        logger.warning("n8n told to stop: cost exceeded", extra={"video_id": str(video.pk), "service": service})
        return {**answer, "action": "STOP", "reason": "cost_exceeded"}
    if video.status in (S.CANCELLED, S.FAILED):
        return {**answer, "action": "STOP", "reason": f"video_{video.status}"}
    if video.status not in (S.QUEUED, S.PROCESSING):
        return {**answer, "action": "STOP", "reason": "video_not_processing"}
    if cost_budget_paused():
        _stop_render_for_budget(video)
        logger.warning("n8n told to stop: budget exhausted", extra={"video_id": str(video.pk)})
        return {**answer, "action": "STOP", "reason": "budget_exhausted"}
    if outcome == "economy" or total >= warning_threshold():
        return {**answer, "action": "CONTINUE", "reason": "warning_threshold_economy_mode"}
    return {**answer, "action": "CONTINUE", "reason": "within_limits"}


def _stop_render_for_budget(video: Video) -> None:
    """The render N8N is running is abandoned: its holds are given back and it will be requested
    again (not counted as a failed attempt) when the video wakes on the next budget day."""
    render = pipeline_state(video).get("render") or {}
    if video.status == S.PROCESSING and render.get("requested_at") and not render.get("done"):
        release_holds(hold_ids=render.get("holds", []))
        update_state(
            video.pk,
            step="render",
            stopped=True,
            attempts=max(0, int(render.get("attempts", 0)) - 1),
            holds=[],
        )
    video_park_for_budget(video, detail="daily cost budget reached (render stopped)")
