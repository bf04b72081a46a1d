"""Videos: generation with daily limits, the status state machine and its history.

``video_transition`` is the only function that changes ``Video.status``; every other writer
(views, admin, tasks, the pipeline, webhooks) goes through it.
"""

import logging
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channels.models import Channel, ChannelStatus
from ytempire.core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError

from .models import OptimizationLevel, Video, VideoEvent, VideoStatus

logger = logging.getLogger(__name__)

S = VideoStatus

# The whole state machine. Final: published. failed/cancelled only leave through a retry (-> queued).
# uploading -> ready lets the upload step hand a video back when the YouTube pool is exhausted.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.QUEUED: {S.PROCESSING, S.FAILED, S.CANCELLED},
    S.PROCESSING: {S.READY, S.FAILED, S.CANCELLED},
    S.READY: {S.UPLOADING, S.FAILED, S.CANCELLED},
    S.UPLOADING: {S.PUBLISHED, S.READY, S.FAILED, S.CANCELLED},
    S.PUBLISHED: set(),
    S.FAILED: {S.QUEUED},
    S.CANCELLED: {S.QUEUED},
}
ACTIVE_STATUSES = frozenset({S.QUEUED, S.PROCESSING, S.READY, S.UPLOADING})
RETRYABLE_STATUSES = frozenset({S.FAILED, S.CANCELLED})
GENERATABLE_CHANNEL_STATUSES = frozenset({ChannelStatus.ACTIVE, ChannelStatus.PENDING_OAUTH})

# Rough production time per optimization level, for the "estimated_completion" of a queued video.
DEFAULT_ESTIMATED_MINUTES = {"economy": 8, "standard": 10, "premium": 15}

DAILY_LIMIT_MESSAGE = "Daily video limit reached"
VIDEO_NOT_FOUND = "Video not found"
CHANNEL_NOT_FOUND = "Channel not found"

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


class DailyVideoLimitError(PermissionDeniedError):
    default_message = DAILY_LIMIT_MESSAGE


class CostEstimateTooHighError(ApplicationError):
    """400 in the validation shape, pointing at ``optimization_level``."""

    status_code = 400


class CostBudgetPausedError(PermissionDeniedError):
    default_message = "Daily cost budget reached"


class ChannelNotGeneratableError(ConflictError):
    pass


# --- Helpers ---------------------------------------------------------------------------


def utc_day_start(at: datetime | None = None) -> datetime:
    """Midnight UTC of the day containing ``at`` (the daily video limits count from here)."""
    at = (at or timezone.now()).astimezone(UTC)
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def video_estimated_completion(*, video: Video) -> datetime | None:
    """When a queued/processing video should be ready; ``processing_completed_at`` once it is."""
    if video.processing_completed_at:
        return video.processing_completed_at
    if video.status not in (S.QUEUED, S.PROCESSING):
        return None
    minutes = getattr(settings, "VIDEO_ESTIMATED_MINUTES", DEFAULT_ESTIMATED_MINUTES).get(
        video.optimization_level, DEFAULT_ESTIMATED_MINUTES["standard"]
    )
    start = video.processing_started_at or video.queued_at or video.created_at
    return start + timedelta(minutes=minutes)


def _parse_uuid(raw: Any, message: str) -> uuid.UUID:
    if isinstance(raw, uuid.UUID):
        return raw
    try:
        return uuid.UUID(str(raw))
    except (TypeError, ValueError, AttributeError):
        raise NotFoundError(message) from None


def _enqueue_processing(video_id) -> None:
    """Hand the video to the worker once the surrounding transaction has committed."""
    from .tasks import video_process_task

    transaction.on_commit(lambda: video_process_task.delay(str(video_id)))


def _cost_budget_paused() -> bool:
    from costs.services import cost_budget_paused

    return cost_budget_paused()


# --- The state machine ----------------------------------------------------------------


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
    in the same save) and writes one VideoEvent(from, to, reason, data). Raises
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


class ProgressIgnoredError(ConflictError):
    """The progress report does not apply (the video is not processing, or it is stale)."""


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


# --- Generation, cancel, retry ----------------------------------------------------------


def _visible_videos(user):
    qs = Video.objects.all()
    return qs if user.is_platform_admin else qs.filter(channel__user_id=user.pk)


def _get_video_for(*, user, video_id) -> Video:
    pk = _parse_uuid(video_id, VIDEO_NOT_FOUND)
    video = _visible_videos(user).filter(pk=pk).first()
    if video is None:
        raise NotFoundError(VIDEO_NOT_FOUND)
    return video


def _estimate(level: str):
    from costs.services import estimate_video_cost

    estimate = estimate_video_cost(level=level)
    limit = Decimal(settings.MAX_COST_PER_VIDEO)
    if estimate.total > limit:
        message = f"Estimated cost ${estimate.total:.2f} exceeds the per-video limit of ${limit:.2f}"
        raise CostEstimateTooHighError(
            message,
            extra={"errors": [{"field": "optimization_level", "message": message}]},
        )
    return estimate


def video_generate(
    *,
    user,
    channel_id,
    title: str,
    description: str = "",
    tags: list[str] | None = None,
    optimization_level: str = OptimizationLevel.STANDARD,
    priority: int = 5,
    complexity: str | None = None,
    category_id: str = "",
    metadata: dict | None = None,
) -> Video:
    """Queue a new video for ``channel_id`` and hand it to the worker after commit.

    Rules, in order: the channel is the caller's (404 "Channel not found"; role admin may use any
    channel, counted against its owner); the channel is active or pending_oauth (409); the daily
    cost budget is not paused (403 "Daily cost budget reached"); the costs service's pessimistic
    estimate for ``optimization_level`` is within MAX_COST_PER_VIDEO (400); then, holding row
    locks on the owner and the channel (so concurrent generates serialize), the videos created
    since midnight UTC are below the channel's daily_video_limit and across all the owner's
    channels below the owner's daily_video_limit (403 "Daily video limit reached"). The count
    and the insert share one transaction.
    """
    from accounts.models import User

    pk = _parse_uuid(channel_id, CHANNEL_NOT_FOUND)
    channels = Channel.objects.all() if user.is_platform_admin else Channel.objects.filter(user_id=user.pk)
    owner_id = channels.filter(pk=pk).values_list("user_id", flat=True).first()
    if owner_id is None:
        raise NotFoundError(CHANNEL_NOT_FOUND)
    if optimization_level not in OptimizationLevel.values:
        raise ValidationError({"optimization_level": [f"Unknown optimization level '{optimization_level}'."]})
    if _cost_budget_paused():
        raise CostBudgetPausedError()
    estimate = _estimate(optimization_level)

    with transaction.atomic():
        # Lock order everywhere: user, then channel.
        owner = User.objects.select_for_update().only("id", "daily_video_limit").get(pk=owner_id)
        channel = Channel.objects.select_for_update().get(pk=pk)
        if channel.status not in GENERATABLE_CHANNEL_STATUSES:
            raise ChannelNotGeneratableError(
                f"Channel is {channel.status}; videos can only be generated for active or pending channels."
            )
        since = utc_day_start()
        channel_today = Video.objects.filter(channel_id=channel.pk, created_at__gte=since).count()
        if channel_today >= channel.daily_video_limit:
            raise DailyVideoLimitError(extra={"scope": "channel", "limit": channel.daily_video_limit})
        user_today = Video.objects.filter(channel__user_id=owner.pk, created_at__gte=since).count()
        if user_today >= owner.daily_video_limit:
            raise DailyVideoLimitError(extra={"scope": "user", "limit": owner.daily_video_limit})

        video = Video(
            channel=channel,
            title=title.strip(),
            description=description,
            tags=list(tags or []),
            optimization_level=optimization_level,
            priority=priority,
            category_id=category_id,
            status=S.QUEUED,
            estimated_cost=estimate.total,
            metadata={
                **(metadata or {}),
                "estimate": {key: str(value) for key, value in estimate.breakdown.items()},
            },
        )
        if complexity:
            video.complexity = complexity
        video.full_clean(exclude=["channel", "youtube_account_used"])
        video.save()
        VideoEvent.objects.create(
            video=video,
            from_status="",
            to_status=S.QUEUED,
            reason="queued",
            data={"estimated_cost": str(estimate.total), "optimization_level": optimization_level},
            at=video.created_at,
        )
        _enqueue_processing(video.pk)
    logger.info("video queued", extra={"video_id": str(video.pk), "channel_id": str(channel.pk)})
    return video


def video_cancel(*, user, video_id, reason: str = "cancelled by user") -> Video:
    """Cancel a video of the caller's (404 otherwise); 409 from a final status."""
    from costs.services import cost_release_video_holds

    video = _get_video_for(user=user, video_id=video_id)
    video = video_transition(video=video, to_status=S.CANCELLED, reason=reason, data={"by": str(user.pk)})
    cost_release_video_holds(video=video)  # a cancelled video spends nothing more
    return video


def video_retry(*, user, video_id, reason: str = "retry requested") -> Video:
    """Send a failed or cancelled video of the caller's (404 otherwise) back to ``queued``."""
    video = _get_video_for(user=user, video_id=video_id)
    return video_requeue(video=video, reason=reason, data={"by": str(user.pk)})


def video_requeue(*, video: Video, reason: str, data: dict | None = None) -> Video:
    """Retry: failed/cancelled -> queued, then enqueue the worker after commit.

    409 from any other status or when the channel no longer accepts videos; 403 when the daily
    cost budget is paused. A retry does not count against the daily limits (no new video).
    """
    if video.status not in RETRYABLE_STATUSES:
        raise InvalidTransitionError(from_status=video.status, to_status=S.QUEUED)
    if _cost_budget_paused():
        raise CostBudgetPausedError()
    with transaction.atomic():
        channel_status = Channel.objects.filter(pk=video.channel_id).values_list("status", flat=True).first()
        if channel_status not in GENERATABLE_CHANNEL_STATUSES:
            raise ChannelNotGeneratableError(
                f"Channel is {channel_status}; videos can only be retried for active or pending channels."
            )
        video = video_transition(video=video, to_status=S.QUEUED, reason=reason, data=data)
        _enqueue_processing(video.pk)
    return video


def video_raise_priority(*, video: Video, by: int = 1, reason: str = "priority raised") -> Video:
    """Raise the priority (capped at 10) with an F() update, recorded as an event."""
    with transaction.atomic():
        locked = Video.objects.select_for_update().get(pk=video.pk)
        new = min(10, locked.priority + by)
        if new != locked.priority:
            VideoEvent.objects.create(
                video=locked, reason=reason, data={"priority": {"from": locked.priority, "to": new}}
            )
            locked.priority = new
            locked.save(update_fields=["priority", "updated_at"])
    return locked


def video_process_start(*, video_id) -> Video | None:
    """The worker's first step: a queued video moves to processing; anything else is left alone.

    Idempotent: a duplicate delivery of the task finds the video no longer queued and does nothing.
    Returns the video when it moved, None otherwise.
    """
    video = Video.objects.filter(pk=video_id).first()
    if video is None:
        logger.warning("video to process no longer exists", extra={"video_id": str(video_id)})
        return None
    try:
        return video_transition(video=video, to_status=S.PROCESSING, reason="picked up by worker")
    except InvalidTransitionError:
        logger.info("video not queued any more; nothing to do", extra={"video_id": str(video_id)})
        return None
