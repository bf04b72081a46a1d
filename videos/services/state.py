"""The video state machine and its history.

``video_transition`` is the only function that changes ``Video.status``; every other writer
(views, admin, tasks, the pipeline, webhooks, the cost policy) goes through it. Entering
``cancelled`` or ``failed`` gives back the video's open cost holds in the same transaction,
whoever asked for it.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channels.models import Channel
from costs.services import cost_release_video_holds
from ytempire.core.exceptions import ConflictError

from ..models import OptimizationLevel, Video, VideoEvent, VideoStatus

logger = logging.getLogger(__name__)

S = VideoStatus

# The whole state machine. Final: published. failed/cancelled only leave through a retry (-> queued).
# uploading -> ready lets the upload step hand a video back when its channel cannot upload now.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.QUEUED: {S.PROCESSING, S.FAILED, S.CANCELLED},
    S.PROCESSING: {S.READY, S.FAILED, S.CANCELLED},
    S.READY: {S.UPLOADING, S.FAILED, S.CANCELLED},
    S.UPLOADING: {S.PUBLISHED, S.READY, S.FAILED, S.CANCELLED},
    S.PUBLISHED: set(),
    S.FAILED: {S.QUEUED},
    S.CANCELLED: {S.QUEUED},
}
# Entering one of these gives back every open hold: the video will not spend them.
RELEASING_STATUSES = frozenset({S.CANCELLED, S.FAILED})

# Fields the state machine owns; ``fields=`` in video_transition may not set them.
_MACHINE_FIELDS = frozenset(
    {"status", "processing_started_at", "processing_completed_at", "published_at", "queued_at", "error_message"}
)


class InvalidTransitionError(ConflictError):
    """409: the requested status change is not in ALLOWED_TRANSITIONS."""

    def __init__(self, *, from_status: str, to_status: str):
        self.from_status = from_status
        self.to_status = to_status
        super().__init__(
            f"Cannot change video status from '{from_status}' to '{to_status}'.",
            extra={"from_status": from_status, "to_status": to_status},
        )


class ProgressIgnoredError(ConflictError):
    """The progress report does not apply (the video is not processing, or it is stale)."""


def video_transition(
    *,
    video: Video,
    to_status: str,
    reason: str = "",
    data: dict | None = None,
    error_message: str | None = None,
    fields: dict[str, Any] | None = None,
) -> Video:
    """Move ``video`` to ``to_status`` if ALLOWED_TRANSITIONS permits it, and record the change.

    Locks the row (SELECT ... FOR UPDATE) inside a transaction and checks the transition against
    the locked, current status, so two workers cannot both move the same video. Stamps
    processing_started_at (-> processing), processing_completed_at and generation_time_seconds
    (-> ready), published_at (-> published, and the channel's total_videos), queued_at (retry),
    stores ``error_message`` (failed), applies ``fields`` (other columns such as youtube_video_id,
    in the same save) and writes one VideoEvent(from, to, reason, data). Entering cancelled or
    failed releases the video's open cost holds in the same transaction. Raises
    InvalidTransitionError (409) for a refused transition. Returns the refreshed video.
    """
    if to_status not in S.values:
        raise ValidationError({"status": [f"Unknown video status '{to_status}'."]})
    fields = dict(fields or {})
    forbidden = _MACHINE_FIELDS.intersection(fields)
    if forbidden:
        raise ValueError(f"video_transition(fields=...) may not set {sorted(forbidden)}")
    with transaction.atomic():
        locked = Video.objects.select_for_update().get(pk=video.pk)
        from_status = locked.status
        if to_status not in ALLOWED_TRANSITIONS.get(from_status, set()):
            raise InvalidTransitionError(from_status=from_status, to_status=to_status)
        now = timezone.now()
        changed = {"status", "updated_at"}
        locked.status = to_status
        if to_status == S.PROCESSING:
            locked.processing_started_at = now
            locked.processing_completed_at = None
            changed |= {"processing_started_at", "processing_completed_at"}
        elif to_status == S.READY and from_status == S.PROCESSING:
            locked.processing_completed_at = now
            if locked.processing_started_at:
                locked.generation_time_seconds = int((now - locked.processing_started_at).total_seconds())
            changed |= {"processing_completed_at", "generation_time_seconds"}
        elif to_status == S.PUBLISHED:
            locked.published_at = now
            changed.add("published_at")
        elif to_status == S.QUEUED:
            # A retry: a fresh attempt, the previous one stays in the event history.
            locked.queued_at = now
            locked.processing_started_at = None
            locked.processing_completed_at = None
            locked.error_message = ""
            changed |= {"queued_at", "processing_started_at", "processing_completed_at", "error_message"}
        if error_message is not None:
            locked.error_message = error_message
            changed.add("error_message")
        elif to_status == S.FAILED and not locked.error_message:
            locked.error_message = reason
            changed.add("error_message")
        for name, value in fields.items():
            setattr(locked, name, value)
            changed.add(name)
        locked.full_clean(exclude=["channel", "youtube_account_used"], validate_unique=False)
        locked.save(update_fields=sorted(changed))
        VideoEvent.objects.create(
            video=locked, from_status=from_status, to_status=to_status, reason=reason[:500], data=data or {}, at=now
        )
        if to_status == S.PUBLISHED:
            Channel.objects.filter(pk=locked.channel_id).update(total_videos=F("total_videos") + 1, updated_at=now)
        if to_status in RELEASING_STATUSES:
            cost_release_video_holds(video_id=locked.pk)
    logger.info(
        "video status changed",
        extra={"video_id": str(locked.pk), "from_status": from_status, "to_status": to_status, "reason": reason},
    )
    return locked


def video_event_record(*, video: Video, reason: str, data: dict | None = None) -> VideoEvent:
    """A history row for a notable step that does not change the status (from/to left blank)."""
    event = VideoEvent(video=video, reason=reason[:500], data=data or {})
    event.full_clean(exclude=["video"])
    event.save()
    return event


def video_set_progress(*, video: Video, step: str, percent: int, message: str = "") -> dict:
    """Store render progress (``metadata["progress"]``) on a processing video, with an event.

    Under the row lock: a video that is not processing, or a report behind the recorded percent
    (deliveries arrive out of order), raises ProgressIgnoredError and changes nothing."""
    with transaction.atomic():
        locked = Video.objects.select_for_update().get(pk=video.pk)
        current = (locked.metadata or {}).get("progress") or {}
        if locked.status != S.PROCESSING:
            raise ProgressIgnoredError(f"Video is {locked.status}, not processing; progress ignored")
        if percent < int(current.get("percent", -1)):
            raise ProgressIgnoredError(f"Stale progress: {percent}% is behind the recorded {current.get('percent')}%")
        progress = {"step": step, "percent": percent, "message": message, "at": timezone.now().isoformat()}
        locked.metadata = {**(locked.metadata or {}), "progress": progress}
        locked.save(update_fields=["metadata", "updated_at"])
        VideoEvent.objects.create(video=locked, reason=f"progress: {step} ({percent}%)"[:500], data=progress)
    return progress


def video_set_optimization_level(*, video: Video, level: str, reason: str) -> Video:
    """Change the optimization level (e.g. the economy switch) under a row lock, recorded as an event."""
    if level not in OptimizationLevel.values:
        raise ValidationError({"optimization_level": [f"Unknown optimization level '{level}'."]})
    with transaction.atomic():
        locked = Video.objects.select_for_update().get(pk=video.pk)
        previous = locked.optimization_level
        if previous != level:
            locked.optimization_level = level
            locked.save(update_fields=["optimization_level", "updated_at"])
            VideoEvent.objects.create(
                video=locked, reason=reason[:500], data={"optimization_level": {"from": previous, "to": level}}
            )
    return locked


def video_raise_priority(
    *, video: Video, by: int = 1, reason: str = "priority raised", data: dict | None = None
) -> Video:
    """Raise the priority (capped at 10) under the row lock, recorded as an event."""
    with transaction.atomic():
        locked = Video.objects.select_for_update().get(pk=video.pk)
        new = min(10, locked.priority + by)
        if new != locked.priority:
            VideoEvent.objects.create(
                video=locked, reason=reason, data={**(data or {}), "priority": {"from": locked.priority, "to": new}}
            )
            locked.priority = new
            locked.save(update_fields=["priority", "updated_at"])
    return locked


# --- YouTube statistics (written by the stats sync only) ----------------------------------------
@dataclass(frozen=True)
class VideoStats:
    """One video's counts as YouTube reports them; likes/comments None when YouTube hides them."""

    video_id: Any
    views: int
    likes: int | None = None
    comments: int | None = None


def video_stats_record(*, stats: Iterable[VideoStats], at: datetime) -> int:
    """Store YouTube's view, like and comment counts and ``stats_updated_at`` on the videos, in one
    transaction (a batch of up to 50, as videos.list returns them). Only those columns are written,
    so a concurrent status change is never overwritten. Returns how many rows were written."""
    rows = [
        Video(
            pk=item.video_id,
            view_count=item.views,
            like_count=item.likes,
            comment_count=item.comments,
            stats_updated_at=at,
        )
        for item in stats
    ]
    for row in rows:
        if row.view_count < 0 or any(v is not None and v < 0 for v in (row.like_count, row.comment_count)):
            raise ValidationError({"stats": [f"Negative count for video {row.pk}."]})
    if not rows:
        return 0
    with transaction.atomic():
        return Video.objects.bulk_update(rows, ["view_count", "like_count", "comment_count", "stats_updated_at"])


def video_revenue_record(*, channel_id, revenue: Mapping[Any, Decimal] | None, complete: bool = False) -> int:
    """Store YouTube Analytics' lifetime estimated revenue (USD) on a channel's videos.

    ``revenue`` None: the channel has not authorised revenue reads, so every one of its videos says
    null ("not authorised"), never 0. Otherwise the listed videos get their amount and, when
    ``complete`` (the report listed every earning video), the channel's other published videos get
    0; without ``complete`` they keep what they had. One transaction; returns rows written."""
    with transaction.atomic():
        if revenue is None:
            return Video.objects.filter(channel_id=channel_id, estimated_revenue__isnull=False).update(
                estimated_revenue=None
            )
        rows = [Video(pk=pk, estimated_revenue=amount) for pk, amount in revenue.items()]
        written = Video.objects.bulk_update(rows, ["estimated_revenue"]) if rows else 0
        if complete:
            written += (
                Video.objects.filter(channel_id=channel_id, published_at__isnull=False)
                .exclude(pk__in=list(revenue))
                .exclude(estimated_revenue=Decimal(0))
                .update(estimated_revenue=Decimal(0))
            )
        return written
