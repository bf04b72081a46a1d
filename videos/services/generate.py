"""Generating, cancelling and retrying videos, within the owner's and the channel's daily limits."""

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from channels.models import Channel, ChannelStatus
from costs.selectors import cost_budget_paused
from costs.services import BudgetExceededError, estimate_video_cost, video_limit
from ytempire.core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from ytempire.core.visibility import owned_by

from ..models import ACTIVE_STATUSES, RETRYABLE_STATUSES, OptimizationLevel, Video, VideoEvent, VideoStatus
from ..pipeline.queue import enqueue_step
from .state import InvalidTransitionError, video_transition

logger = logging.getLogger(__name__)

S = VideoStatus
GENERATABLE_CHANNEL_STATUSES = frozenset({ChannelStatus.ACTIVE, ChannelStatus.PENDING_OAUTH})

# Rough production time per optimization level, for the "estimated_completion" of a queued video.
DEFAULT_ESTIMATED_MINUTES = {"economy": 8, "standard": 10, "premium": 15}

DAILY_LIMIT_MESSAGE = "Daily video limit reached"
VIDEO_NOT_FOUND = "Video not found"
CHANNEL_NOT_FOUND = "Channel not found"


class DailyVideoLimitError(PermissionDeniedError):
    default_message = DAILY_LIMIT_MESSAGE


class CostEstimateTooHighError(ApplicationError):
    """400 in the validation shape, pointing at ``optimization_level``."""

    status_code = 400


class ChannelNotGeneratableError(ConflictError):
    pass


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


def _get_video_for(*, user, video_id) -> Video:
    pk = _parse_uuid(video_id, VIDEO_NOT_FOUND)
    video = owned_by(Video.objects.all(), user=user, owner_path="channel__user_id").filter(pk=pk).first()
    if video is None:
        raise NotFoundError(VIDEO_NOT_FOUND)
    return video


def _refuse_when_budget_paused() -> None:
    if cost_budget_paused():
        raise BudgetExceededError("Daily cost budget reached")


def _estimate(level: str):
    estimate = estimate_video_cost(level=level)
    limit = video_limit()
    if estimate.total > limit:
        message = f"Estimated cost ${estimate.total:.2f} exceeds the per-video limit of ${limit:.2f}"
        raise CostEstimateTooHighError(message, extra={"errors": [{"field": "optimization_level", "message": message}]})
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
    cost budget is not paused (403 "Daily cost budget reached"); the costs service's estimate
    for ``optimization_level`` is within MAX_COST_PER_VIDEO (400); then, holding row locks on the
    owner and the channel (so concurrent generates serialize), the videos created since midnight
    UTC are below the channel's daily_video_limit and across all the owner's channels below the
    owner's daily_video_limit (403 "Daily video limit reached"). The count and the insert share
    one transaction.
    """
    pk = _parse_uuid(channel_id, CHANNEL_NOT_FOUND)
    channels = owned_by(Channel.objects.all(), user=user, owner_path="user_id")
    owner_id = channels.filter(pk=pk).values_list("user_id", flat=True).first()
    if owner_id is None:
        raise NotFoundError(CHANNEL_NOT_FOUND)
    if optimization_level not in OptimizationLevel.values:
        raise ValidationError({"optimization_level": [f"Unknown optimization level '{optimization_level}'."]})
    _refuse_when_budget_paused()
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
        transaction.on_commit(lambda: enqueue_step(video, "start"))
    logger.info("video queued", extra={"video_id": str(video.pk), "channel_id": str(channel.pk)})
    return video


def video_cancel(*, user, video_id, reason: str = "cancelled by user") -> Video:
    """Cancel a video of the caller's (404 otherwise); 409 from a final status. Its holds are
    given back by the state machine."""
    video = _get_video_for(user=user, video_id=video_id)
    return video_transition(video=video, to_status=S.CANCELLED, reason=reason, data={"by": str(user.pk)})


def video_stop_for_channel(*, channel_id, reason: str) -> int:
    """Cancel every unfinished video of a channel that stopped producing (archived, suspended,
    over its plan's limit). Returns how many were cancelled."""
    cancelled = 0
    for video in Video.objects.filter(channel_id=channel_id, status__in=ACTIVE_STATUSES).only("id"):
        try:
            video_transition(video=video, to_status=S.CANCELLED, reason=reason, data={"channel_stopped": True})
            cancelled += 1
        except InvalidTransitionError:  # it moved on meanwhile (published, failed)
            continue
    return cancelled


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
    _refuse_when_budget_paused()
    with transaction.atomic():
        channel_status = Channel.objects.filter(pk=video.channel_id).values_list("status", flat=True).first()
        if channel_status not in GENERATABLE_CHANNEL_STATUSES:
            raise ChannelNotGeneratableError(
                f"Channel is {channel_status}; videos can only be retried for active or pending channels."
            )
        video = video_transition(video=video, to_status=S.QUEUED, reason=reason, data=data)
        transaction.on_commit(lambda: enqueue_step(video, "start"))
    return video
