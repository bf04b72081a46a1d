"""Running one step under the video's lock, failing a video, and what is worth retrying."""

import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..models import ACTIVE_STATUSES, Video, VideoStatus
from ..providers import ProviderError
from ..services import video_transition
from ..spending import SpendingRefusedError
from .state import VideoBusyError, video_lock, wait_is_over
from .steps import STEP_FUNCTIONS

logger = logging.getLogger(__name__)

S = VideoStatus


def pipeline_run_step(*, video_id, step: str) -> str | None:
    """Run ``step`` for the video under its lock and return the next step to enqueue (or None).

    A video another worker holds is left alone (that worker, or the sweeper, carries on), and so
    is a video parked until a later time (budget day, upload time, capacity). A hold
    the cost policy refused ends the step quietly: the video was stopped or parked, and its
    state says why."""
    if step not in STEP_FUNCTIONS:
        raise ValueError(f"unknown pipeline step {step!r}")
    try:
        with video_lock(video_id):
            video = Video.objects.select_related("channel").filter(pk=video_id).first()
            if video is None:
                return None
            if not wait_is_over(video, timezone.now()):
                return None  # parked on purpose: the dispatcher wakes it when the wait is over
            return STEP_FUNCTIONS[step](video)
    except VideoBusyError:
        logger.info("video busy in another worker; skipping", extra={"video_id": str(video_id), "step": step})
        return None
    except SpendingRefusedError as exc:
        logger.info("step ended by the cost policy", extra={"video_id": str(video_id), "outcome": exc.outcome})
        return None


def pipeline_fail(*, video_id, reason: str) -> None:
    """Fail an active video with ``reason`` (a permanent error or retries exhausted); the state
    machine gives back the holds it still has open."""
    video = Video.objects.filter(pk=video_id).first()
    if video is None or video.status not in ACTIVE_STATUSES:
        return
    video_transition(video=video, to_status=S.FAILED, reason="pipeline failed", error_message=reason[:2000])


# Infrastructure that comes back by itself: Redis (the locks, holds and counters, directly or through
# django-redis) or PostgreSQL briefly unreachable, a socket that timed out. A video is never failed
# for an outage of the platform's own parts.
TRANSIENT_ERRORS = (
    SoftTimeLimitExceeded,
    ConnectionError,
    TimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionInterrupted,
    OperationalError,
    InterfaceError,
)


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, ProviderError):
        return exc.retryable
    return isinstance(exc, TRANSIENT_ERRORS)
