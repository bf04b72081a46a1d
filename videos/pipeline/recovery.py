"""Recovery: the dispatcher wakes waiting videos and re-sends lost ones; the sweeper resumes or
fails videos a dead worker (or a silent N8N) left behind. Both are beat tasks."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ..models import Video, VideoStatus
from ..services import video_event_record
from .queue import enqueue_step
from .runner import pipeline_fail
from .state import pipeline_next_step, pipeline_state, update_state, wait_is_over

S = VideoStatus
_FIELDS = ("id", "status", "priority", "metadata", "updated_at")


def pipeline_dispatch(*, now: datetime | None = None, limit: int = 200) -> list[tuple[str, str]]:
    """Re-enqueue waiting videos whose wait is over and videos nobody picked up.

    Waiting videos (budget, upload time, channel capacity) are enqueued once ``wait.until``
    passed; queued/ready videos untouched for PIPELINE_STUCK_SECONDS are enqueued again (a lost
    message). Highest priority first. Returns (video id, step) pairs enqueued."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.PIPELINE_STUCK_SECONDS)
    candidates = (
        Video.objects.filter(status__in=(S.QUEUED, S.READY, S.PROCESSING, S.UPLOADING))
        .filter(metadata__pipeline__has_key="wait")
        .only(*_FIELDS)
        .order_by("-priority", "queued_at")[:limit]
    )
    enqueued = []
    for video in candidates:
        if pipeline_state(video).get("wait") and wait_is_over(video, now):
            update_state(video.pk, wait=None)
            step = pipeline_next_step(video)
            if step:
                enqueue_step(video, step)
                enqueued.append((str(video.pk), step))
    lost = (
        Video.objects.filter(status__in=(S.QUEUED, S.READY), updated_at__lt=stale)
        .only(*_FIELDS)
        .order_by("-priority", "queued_at")[:limit]
    )
    for video in lost:
        if not wait_is_over(video, now):
            continue
        step = pipeline_next_step(video)
        if step:
            update_state(video.pk, redispatched_at=now.isoformat())
            enqueue_step(video, step)
            enqueued.append((str(video.pk), step))
    return enqueued


def pipeline_sweep(*, now: datetime | None = None, limit: int = 200) -> dict:
    """Find videos a dead worker left behind and resume or fail them.

    - processing with an unanswered render older than PIPELINE_RENDER_TIMEOUT_SECONDS: the
      render is requested again, then after PIPELINE_MAX_RENDER_ATTEMPTS the video fails with
      the reason (the state machine gives back its holds);
    - processing/uploading untouched for PIPELINE_STUCK_SECONDS: the next step is enqueued again
      (steps are idempotent; the per-video lock keeps a live worker's video from running twice).
    """
    now = now or timezone.now()
    render_deadline = now - timedelta(seconds=settings.PIPELINE_RENDER_TIMEOUT_SECONDS)
    stale = now - timedelta(seconds=settings.PIPELINE_STUCK_SECONDS)
    report = {"render_retried": 0, "render_failed": 0, "resumed": 0}
    in_flight = (
        Video.objects.filter(status__in=(S.PROCESSING, S.UPLOADING)).only(*_FIELDS).order_by("updated_at")[:limit]
    )
    for video in in_flight:
        render = pipeline_state(video).get("render") or {}
        waiting = render.get("requested_at") and not (render.get("done") or render.get("stopped"))
        if video.status == S.PROCESSING and waiting:
            progress_at = ((video.metadata or {}).get("progress") or {}).get("at")
            heard = max(filter(None, (render["requested_at"], render.get("retried_at"), progress_at)))
            if render.get("timed_out"):
                # The render was re-requested; if that message was lost (a worker killed, the broker
                # down) nothing answered since: enqueue the render step again (it is idempotent).
                if datetime.fromisoformat(render.get("retried_at") or heard) <= stale:
                    update_state(video.pk, step="render", retried_at=now.isoformat())
                    video_event_record(video=video, reason="render retry was not picked up; enqueued again")
                    enqueue_step(video, "render")
                    report["render_retried"] += 1
                continue
            if datetime.fromisoformat(heard) > render_deadline:
                continue
            attempts = int(render.get("attempts", 0))
            if attempts >= settings.PIPELINE_MAX_RENDER_ATTEMPTS:
                pipeline_fail(
                    video_id=video.pk, reason=f"Render timed out: no answer from N8N after {attempts} attempts"
                )
                report["render_failed"] += 1
                continue
            update_state(video.pk, step="render", timed_out=True, retried_at=now.isoformat())
            video_event_record(video=video, reason=f"render timed out (attempt {attempts}); retrying")
            enqueue_step(video, "render")
            report["render_retried"] += 1
            continue
        if video.updated_at >= stale or not wait_is_over(video, now):
            continue  # recently active, or parked on purpose (the dispatcher wakes it)
        step = pipeline_next_step(video)
        if step:
            video_event_record(video=video, reason=f"resumed by the sweeper at step {step}")
            enqueue_step(video, step)
            report["resumed"] += 1
    return report
