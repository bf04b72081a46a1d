"""Video tasks: thin wrappers that take an id, call a pipeline service and decide on retries.

Every pipeline step is its own task (``video_<step>_task(video_id)``): acks_late (a killed worker's message
is redelivered), idempotent (a finished step only returns the next one), time-limited, retried
with exponential backoff and jitter on transient errors, and failing the video with its reason
on permanent ones. Script and voice run on the ``pipeline`` queue, render on ``render`` and
upload on ``upload``, so uploads are never starved by generation; higher-priority videos are
delivered first (Celery message priority).
"""

import logging
import random

from celery import shared_task
from django.conf import settings

from . import pipeline
from .models import Video

logger = logging.getLogger(__name__)


def enqueue_step(video: Video, step: str) -> None:
    """Send ``step`` for ``video`` to its task and queue with the video's priority."""
    STEP_TASKS[step].apply_async(
        args=[str(video.pk)],
        queue=pipeline.STEP_QUEUES[step],
        priority=pipeline.celery_priority(video.priority),
    )


def _backoff(retries: int) -> int:
    base = settings.PIPELINE_RETRY_BASE_SECONDS * (2**retries)
    return int(base + random.uniform(0, base / 2))


def _continue(video_id: str, next_step: str | None) -> None:
    if next_step:
        video = Video.objects.only("id", "priority").filter(pk=video_id).first()
        if video is not None:
            enqueue_step(video, next_step)


def _run_step(task, video_id: str, step: str) -> str | None:
    """Run one pipeline step and enqueue the next; retry transient errors, fail on the rest."""
    try:
        next_step = pipeline.pipeline_run_step(video_id=video_id, step=step)
    except Exception as exc:
        retries = task.request.retries or 0
        retryable = pipeline.is_retryable(exc)
        if retryable and retries < settings.PIPELINE_STEP_MAX_RETRIES:
            countdown = _backoff(retries)
            logger.warning(
                "pipeline step failed transiently; retrying",
                extra={
                    "video_id": video_id,
                    "step": step,
                    "retry": retries + 1,
                    "countdown": countdown,
                    "error": str(exc)[:300],
                },
            )
            raise task.retry(exc=exc, countdown=countdown) from exc
        reason = f"{step} failed after {retries} retries: {exc}" if retryable else f"{step} failed: {exc}"
        logger.error(
            "pipeline step failed",
            extra={"video_id": video_id, "step": step, "error": str(exc)[:300]},
            exc_info=not isinstance(exc, pipeline.ProviderError),
        )
        pipeline.pipeline_fail(video_id=video_id, reason=reason)
        return None
    _continue(video_id, next_step)
    return next_step


_STEP_TASK_OPTIONS = {"bind": True, "acks_late": True, "reject_on_worker_lost": True, "max_retries": None}


@shared_task(name="videos.tasks.video_script_task", soft_time_limit=5 * 60, time_limit=6 * 60, **_STEP_TASK_OPTIONS)
def video_script_task(self, video_id: str) -> str | None:
    """Write the script with the LLM (queue ``pipeline``)."""
    return _run_step(self, video_id, "script")


@shared_task(name="videos.tasks.video_voice_task", soft_time_limit=5 * 60, time_limit=6 * 60, **_STEP_TASK_OPTIONS)
def video_voice_task(self, video_id: str) -> str | None:
    """Synthesise the narration (queue ``pipeline``)."""
    return _run_step(self, video_id, "voice")


@shared_task(name="videos.tasks.video_render_task", soft_time_limit=2 * 60, time_limit=3 * 60, **_STEP_TASK_OPTIONS)
def video_render_task(self, video_id: str) -> str | None:
    """Hand the video to the N8N render workflow (queue ``render``); N8N answers by webhook."""
    return _run_step(self, video_id, "render")


@shared_task(name="videos.tasks.video_upload_task", soft_time_limit=30 * 60, time_limit=32 * 60, **_STEP_TASK_OPTIONS)
def video_upload_task(self, video_id: str) -> str | None:
    """Upload through the YouTube pool (queue ``upload``, never starved by generation)."""
    return _run_step(self, video_id, "upload")


@shared_task(name="videos.tasks.video_process_task", soft_time_limit=60, time_limit=90, **_STEP_TASK_OPTIONS)
def video_process_task(self, video_id: str) -> str | None:
    """Entry of the pipeline for a queued video (queued by generate, retry and automation):
    queued -> processing (or a wait for the next budget day), then the script step is enqueued."""
    return _run_step(self, video_id, "start")


STEP_TASKS = {
    "start": video_process_task,
    "script": video_script_task,
    "voice": video_voice_task,
    "render": video_render_task,
    "upload": video_upload_task,
}


@shared_task(acks_late=True, name="videos.tasks.video_dispatch_task", expires=55)
def video_dispatch_task() -> int:
    """Beat, every minute: enqueue waiting videos whose wait is over and lost queued/ready ones."""
    return len(pipeline.pipeline_dispatch())


@shared_task(acks_late=True, name="videos.tasks.video_sweep_task", expires=4 * 60)
def video_sweep_task() -> dict:
    """Beat, every 5 minutes: resume or fail videos a dead worker left behind."""
    return pipeline.pipeline_sweep()


@shared_task(acks_late=True, name="videos.tasks.automation_run_task", expires=14 * 60)
def automation_run_task() -> int:
    """Beat, every 15 minutes: queue videos for automated channels within limits and capacity."""
    from .automation import automation_run

    return len([plan for plan in automation_run() if plan.queued])
