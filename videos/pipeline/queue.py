"""Sending a pipeline step to its Celery queue, with the video's priority.

Every step, the first included, goes to its queue (``pipeline``, ``render``, ``upload``) with
the Celery priority of the video, so an urgent video overtakes the backlog. Tasks are looked up
in the Celery app's registry by name, so the services that enqueue need not import the tasks
(which import the steps, which import the services).
"""

from celery import current_app

from ..models import Video

STEP_QUEUES = {"start": "pipeline", "script": "pipeline", "voice": "pipeline", "render": "render", "upload": "upload"}
STEP_TASKS = {step: f"videos.tasks.step_{step}_task" for step in STEP_QUEUES}


def celery_priority(video_priority: int) -> int:
    """Video priority 1..10 (10 = most urgent) -> Celery priority 9..0 (0 = first on Redis)."""
    return max(0, min(9, 10 - int(video_priority)))


def enqueue_step(video: Video, step: str) -> None:
    """Send ``step`` for ``video`` to its task and queue with the video's priority."""
    current_app.tasks[STEP_TASKS[step]].apply_async(
        args=[str(video.pk)], queue=STEP_QUEUES[step], priority=celery_priority(video.priority)
    )
