"""Video tasks: thin wrappers that take an id, call a pipeline service and decide on retries.

Every pipeline step is its own task (``step_<name>_task(video_id)``, named after the step it
runs): acks_late (a killed worker's message is redelivered), idempotent (a finished step only
returns the next one), time-limited, retried with exponential backoff and jitter on transient
errors, and failing the video with its reason on permanent ones. Start, script and voice run on
the ``pipeline`` queue, render on ``render`` and upload on ``upload``, so uploads are never
starved by generation; higher-priority videos are delivered first (Celery message priority).
"""

import logging
import random
import time

from celery import shared_task
from django.conf import settings
from prometheus_client import Histogram

from .automation import automation_run
from .models import Video
from .pipeline.queue import enqueue_step
from .pipeline.recovery import pipeline_dispatch, pipeline_sweep
from .pipeline.runner import is_retryable, pipeline_fail, pipeline_run_step
from .providers import ProviderError
from .retention import media_purge

logger = logging.getLogger(__name__)

# Summed over every worker process in multiprocess mode (ytempire.ops.metrics): from a sub-second start
# to a 30-minute upload.
STEP_DURATION = Histogram(
    "pipeline_step_duration_seconds",
    "Wall time of one run of a pipeline step task, by step and outcome (done, retry, failed)",
    ["step", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
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
    started = time.monotonic()

    def observe(outcome: str) -> None:
        STEP_DURATION.labels(step=step, outcome=outcome).observe(time.monotonic() - started)

    try:
        next_step = pipeline_run_step(video_id=video_id, step=step)
    except Exception as exc:
        retries = task.request.retries or 0
        retryable = is_retryable(exc)
        will_retry = retryable and retries < settings.PIPELINE_STEP_MAX_RETRIES
        observe("retry" if will_retry else "failed")
        if will_retry:
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
            exc_info=not isinstance(exc, ProviderError),
        )
        pipeline_fail(video_id=video_id, reason=reason)
        return None
    observe("done")
    _continue(video_id, next_step)
    return next_step


_STEP_TASK_OPTIONS = {"bind": True, "acks_late": True, "reject_on_worker_lost": True, "max_retries": None}


@shared_task(name="videos.tasks.step_start_task", soft_time_limit=60, time_limit=90, **_STEP_TASK_OPTIONS)
def step_start_task(self, video_id: str) -> str | None:
    """Entry of the pipeline for a queued video (queued by generate, retry and automation):
    queued -> processing (or a wait for the next budget day), then the script step is enqueued."""
    return _run_step(self, video_id, "start")


@shared_task(name="videos.tasks.step_script_task", soft_time_limit=5 * 60, time_limit=6 * 60, **_STEP_TASK_OPTIONS)
def step_script_task(self, video_id: str) -> str | None:
    """Write the script with the LLM (queue ``pipeline``)."""
    return _run_step(self, video_id, "script")


@shared_task(name="videos.tasks.step_voice_task", soft_time_limit=5 * 60, time_limit=6 * 60, **_STEP_TASK_OPTIONS)
def step_voice_task(self, video_id: str) -> str | None:
    """Synthesise the narration (queue ``pipeline``)."""
    return _run_step(self, video_id, "voice")


@shared_task(name="videos.tasks.step_render_task", soft_time_limit=2 * 60, time_limit=3 * 60, **_STEP_TASK_OPTIONS)
def step_render_task(self, video_id: str) -> str | None:
    """Hand the video to the N8N render workflow (queue ``render``); N8N answers by webhook."""
    return _run_step(self, video_id, "render")


@shared_task(name="videos.tasks.step_upload_task", soft_time_limit=30 * 60, time_limit=32 * 60, **_STEP_TASK_OPTIONS)
def step_upload_task(self, video_id: str) -> str | None:
    """Upload to the channel's YouTube channel (queue ``upload``, never starved by generation)."""
    return _run_step(self, video_id, "upload")


@shared_task(acks_late=True, name="videos.tasks.pipeline_dispatch_task", expires=55)
def pipeline_dispatch_task() -> int:
    """Beat, every minute: enqueue waiting videos whose wait is over and lost queued/ready ones."""
    return len(pipeline_dispatch())


@shared_task(acks_late=True, name="videos.tasks.pipeline_sweep_task", expires=4 * 60)
def pipeline_sweep_task() -> dict:
    """Beat, every 5 minutes: resume or fail videos a dead worker left behind."""
    return pipeline_sweep()


@shared_task(acks_late=True, name="videos.tasks.automation_run_task", expires=14 * 60)
def automation_run_task() -> int:
    """Beat, every 15 minutes: queue videos for automated channels within limits and capacity."""
    return len([plan for plan in automation_run() if plan.queued])


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=0,
    name="videos.tasks.media_purge_task",
    expires=3600,
)
def media_purge_task(self) -> dict:
    """Beat, daily at a quiet hour: delete media past VIDEO_/THUMBNAIL_RETENTION_DAYS, stopped
    videos' files and orphans (never an in-progress video's). Idempotent: a second run finds
    nothing left to free."""
    report = media_purge()
    summary = report.summary()
    log = logger.warning if report.errors else logger.info
    log("media purged", extra={"files": summary["files"], "bytes": summary["bytes"], "errors": summary["errors"]})
    return summary
