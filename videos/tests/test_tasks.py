import uuid

import pytest
from celery.exceptions import Retry

from videos.models import VideoStatus
from videos.tasks import step_start_task
from videos.tests.factories import VideoFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_task_starts_the_pipeline_for_a_queued_video():
    video = VideoFactory(status=VideoStatus.QUEUED)

    result = step_start_task.delay(str(video.pk)).get()

    assert result == "script"
    video.refresh_from_db()
    # Sandbox providers ran every step; its channel is not connected to YouTube, so it waits in ready.
    assert video.status == VideoStatus.READY
    assert video.processing_started_at is not None
    assert video.events.filter(from_status="queued", to_status="processing").get().reason == "pipeline started"
    assert video.metadata["pipeline"]["wait"]["reason"] == "channel_not_connected"


def test_task_is_idempotent_on_redelivery():
    video = VideoFactory(status=VideoStatus.QUEUED)
    step_start_task.delay(str(video.pk))
    events = video.events.count()

    step_start_task.delay(str(video.pk))

    video.refresh_from_db()
    assert video.status == VideoStatus.READY
    assert video.events.filter(to_status="processing").count() == 1
    assert video.events.count() == events  # the wait is recorded once, not per poll


@pytest.mark.parametrize("status", [VideoStatus.CANCELLED, VideoStatus.FAILED, VideoStatus.PUBLISHED])
def test_task_leaves_a_video_that_is_not_queued_alone(status):
    video = VideoFactory(status=status)

    assert step_start_task.delay(str(video.pk)).get() is None

    video.refresh_from_db()
    assert video.status == status
    assert not video.events.exists()


def test_task_for_a_deleted_video_does_nothing():
    assert step_start_task.delay(str(uuid.uuid4())).get() is None


def test_a_step_that_meets_a_redis_outage_is_retried_and_the_video_is_not_failed(settings):
    """Redis unreachable (the lock, holds and counters live there): the step is retried with
    backoff, never the video failed for an outage of the platform's own parts."""
    video = VideoFactory(status=VideoStatus.QUEUED)
    settings.CACHES = {
        alias: {**config, "LOCATION": "redis://127.0.0.1:1/0", "OPTIONS": {**config.get("OPTIONS", {})}}
        for alias, config in settings.CACHES.items()
    }

    with pytest.raises(Retry, match="ConnectionError"):  # eager: the retry is raised, not queued
        step_start_task.apply(args=[str(video.pk)])

    video.refresh_from_db()
    assert video.status == VideoStatus.QUEUED
    assert video.error_message in ("", None)
